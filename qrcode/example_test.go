package qrcode_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"log"
	"strings"

	"github.com/qiwei-go/qiwei/qrcode"
)

func ExamplePNG() {
	b, err := qrcode.PNG("https://shop.example.com/p/BAG-000123", 256)
	if err != nil {
		log.Fatal(err)
	}
	cfg, _ := png.DecodeConfig(bytes.NewReader(b))
	fmt.Printf("%dx%d, %v\n", cfg.Width, cfg.Height, len(b) < 1024)
	// Output: 256x256, true
}

func ExampleEncode() {
	c, err := qrcode.Encode("BAG-000123", qrcode.WithLevel(qrcode.LevelQ), qrcode.WithQuietZone(2))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("version", c.Version(), "modules", c.Size(), "level", c.Level(), "min px", c.MinSize())
	// Output: version 1 modules 21 level Q min px 25
}

func ExampleSVG() {
	svg, err := qrcode.SVG("BAG-000123")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(svg[:strings.Index(string(svg), ">")+1]))
	// Output: <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 29 29" shape-rendering="crispEdges">
}

func ExampleSigner() {
	key := []byte("example key, use 32 random bytes") // e.g. from crypto/rand, kept in config
	s, err := qrcode.NewSigner(key, "https://shop.example.com")
	if err != nil {
		log.Fatal(err)
	}
	u := s.URL("BAG-000123")
	fmt.Println(u)

	code, err := s.VerifyURL(u)
	fmt.Println(code, err)

	_, err = s.VerifyURL(strings.Replace(u, "000123", "000124", 1)) // a guessed neighbour
	fmt.Println(errors.Is(err, qrcode.ErrInvalidSignature))
	// Output:
	// https://shop.example.com/p/BAG-000123?s=mEiTlHCers0q
	// BAG-000123 <nil>
	// true
}

func ExampleLabel() {
	b, err := qrcode.Label(qrcode.LabelSpec{
		Content: "https://shop.example.com/p/BAG-000123?s=mEiTlHCers0q",
		Code:    "BAG-000123",
		Name:    "棕色托特包",
	}, &qrcode.LabelOptions{Width: 400})
	if err != nil {
		log.Fatal(err)
	}
	cfg, _ := png.DecodeConfig(bytes.NewReader(b))
	fmt.Printf("%dx%d\n", cfg.Width, cfg.Height)
	// Output: 400x500
}

func ExampleSheet() {
	specs := []qrcode.LabelSpec{
		{Content: "https://shop.example.com/p/BAG-000123?s=mEiTlHCers0q", Code: "BAG-000123", Name: "棕色托特包"},
		{Content: "https://shop.example.com/p/BAG-000124?s=placeholder0", Code: "BAG-000124", Name: "黑色斜挎包"},
	}
	pdf, err := qrcode.Sheet(context.Background(), specs, &qrcode.SheetOptions{Border: true})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(pdf[:5]))
	// Output: %PDF-
}
