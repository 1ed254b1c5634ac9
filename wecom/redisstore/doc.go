// Package redisstore keeps the wecom client's access tokens, tickets, refresh locks and callback
// dedupe keys in Redis (github.com/redis/go-redis/v9), so that several replicas of one app share them.
//
// # Why
//
// A WeCom access token is per (corp, app), and every gettoken call counts against a rate limit. With
// the default in-process store, each replica fetches its own token; with this store, N replicas make
// one gettoken request per refresh: the first one takes a Redis lock and fetches, the others wait for
// the token to appear in Redis.
//
// # Usage
//
// Give every client of every replica the same Redis and prefix:
//
//	rdb := redis.NewClient(&redis.Options{Addr: "redis:6379"})
//	client, err := wecom.New(corpID, secret,
//		wecom.WithAgentID(agentID),
//		wecom.WithTokenStore(redisstore.New(rdb, "myapp:")),
//	)
//
// [New] accepts any redis.UniversalClient: a single node, a Sentinel failover client, a Cluster or a
// Ring. Every operation touches a single key, so Cluster needs no hash tags.
//
// # Semantics
//
//   - Get/Set/Delete: plain GET, SET … PX and DEL. A ttl ≤ 0 is refused with [wecom.ErrInvalidTTL],
//     since a value without expiry would outlive the token it holds.
//   - CompareAndDelete: a Lua script deletes the key only while it still holds the value the caller
//     saw rejected, so a token another replica has just refreshed is never dropped.
//   - Lock: SET key <random> NX PX ttl. Unlock is a compare-and-delete on that random value, never a
//     plain DEL, so a holder whose lock expired cannot release the next holder's lock.
//   - Claim: SET key 1 NX PX ttl, used by the callback handler to drop retried deliveries.
//
// Errors wrap go-redis errors with the operation and key; they never contain a stored value.
//
// # When Redis is down
//
// The wecom client does not fail when its store does: it fetches tokens itself, without the
// cross-process lock (so each replica may call gettoken), and keeps them in memory. It says so:
// every store failure is logged as a warning (through the client's logger, or slog.Default()
// when none was given with wecom.WithLogger), and wecom.Client.TokenStoreStatus reports the
// number of failures and the last one (matching wecom.ErrTokenStoreUnavailable) for metrics and
// alerts. Set go-redis DialTimeout and ReadTimeout low (around a second): a token request waits
// for them before falling back.
//
// # Testing
//
// The tests run against a real redis-server started on a free loopback port (internal/testsvc) and
// are skipped when redis-server is not installed, unless QIWEI_REQUIRE_SERVICES=1.
package redisstore
