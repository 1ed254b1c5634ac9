package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/qiwei-go/qiwei/wecom"
	"github.com/qiwei-go/qiwei/wecom/redisstore"
)

// Share access tokens between every replica of an app. (Compiled, not run: it needs a Redis server;
// the package tests run the same setup against a real one.)
func ExampleNew() {
	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
	defer rdb.Close()

	client, err := wecom.New("ww0123456789abcdef", "app-secret",
		wecom.WithAgentID(1000002),
		wecom.WithTokenStore(redisstore.New(rdb, "myapp:")),
	)
	if err != nil {
		log.Fatal(err)
	}
	// The first replica to need a token fetches it; the others read it from Redis.
	if _, err := client.AccessToken(context.Background()); err != nil {
		log.Fatal(err)
	}
}

// A Store is also a small distributed lock, usable outside token refreshes.
func ExampleStore_Lock() {
	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
	defer rdb.Close()
	store := redisstore.New(rdb, "myapp:")
	ctx := context.Background()

	unlock, acquired, err := store.Lock(ctx, "nightly-report", time.Minute)
	switch {
	case err != nil:
		log.Fatal(err)
	case !acquired:
		fmt.Println("another replica is on it")
		return
	}
	defer unlock(ctx) // releases only this holder's lock, never a later holder's
	fmt.Println("building the report")
}

// A Store refuses to keep a value forever: a ttl ≤ 0 is an error before Redis is even asked (Redis
// would otherwise store the token without expiry). This example runs without a server.
func ExampleStore_Set() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never dialled
	defer rdb.Close()
	store := redisstore.New(rdb, "myapp:")
	err := store.Set(context.Background(), "token", "ACCESS_TOKEN", 0)
	fmt.Println(errors.Is(err, wecom.ErrInvalidTTL))
	// Output: true
}
