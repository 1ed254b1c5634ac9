package smartsheet_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/qiwei-go/qiwei/smartsheet"
	"github.com/qiwei-go/qiwei/wecom"
	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

// exampleSheet starts a fake WeCom, creates a smart sheet with columns 名称 and 库存 and returns
// the client, the document id and the sheet id.
func exampleSheet() (*wecomtest.Server, *smartsheet.Client, string, string) {
	srv := wecomtest.NewServer()
	wc, err := wecom.New(wecomtest.DefaultCorpID, wecomtest.DefaultSecret,
		wecom.WithAgentID(wecomtest.DefaultAgentID), wecom.WithBaseURL(srv.URL))
	if err != nil {
		log.Fatal(err)
	}
	client := smartsheet.New(wc)
	ctx := context.Background()
	doc, err := client.CreateDoc(ctx, &smartsheet.CreateDocRequest{Name: "库存"})
	if err != nil {
		log.Fatal(err)
	}
	sheets, err := client.Sheets(ctx, doc.ID, nil) // a new smart sheet has one sub-sheet
	if err != nil {
		log.Fatal(err)
	}
	_, err = client.AddFields(ctx, doc.ID, sheets[0].ID,
		smartsheet.Field{Title: "名称", Type: smartsheet.FieldText},
		smartsheet.Field{Title: "库存", Type: smartsheet.FieldNumber, Number: &smartsheet.NumberProperty{}})
	if err != nil {
		log.Fatal(err)
	}
	return srv, client, doc.ID, sheets[0].ID
}

func ExampleClient_AddRecords() {
	srv, client, docID, sheetID := exampleSheet()
	defer srv.Close()

	recs := make([]smartsheet.Record, 1200)
	for i := range recs {
		recs[i] = smartsheet.Record{Values: map[string]smartsheet.Value{
			"名称": smartsheet.Text(fmt.Sprintf("包 %d", i+1)),
			"库存": smartsheet.Number(float64(i % 3)),
		}}
	}
	added, err := client.AddRecords(context.Background(), docID, sheetID, recs)
	var be *smartsheet.BatchError
	if errors.As(err, &be) {
		log.Fatalf("%d rows written, rows %v may have been: %v", len(be.Done), be.Unknown, err)
	} else if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(added), "rows added in", srv.Calls("POST /cgi-bin/wedoc/smartsheet/add_records"), "calls")
	fmt.Println(added[0].ID != "", added[0].Values["名称"])
	// Output:
	// 1200 rows added in 3 calls
	// true 包 1
}

func ExampleClient_Records() {
	srv, client, docID, sheetID := exampleSheet()
	defer srv.Close()
	ctx := context.Background()
	_, err := client.AddRecords(ctx, docID, sheetID, []smartsheet.Record{
		{Values: map[string]smartsheet.Value{"名称": smartsheet.Text("托特包"), "库存": smartsheet.Number(5)}},
		{Values: map[string]smartsheet.Value{"名称": smartsheet.Text("迷你包"), "库存": smartsheet.Number(1)}},
		{Values: map[string]smartsheet.Value{"名称": smartsheet.Text("双肩包"), "库存": smartsheet.Number(0)}},
	})
	if err != nil {
		log.Fatal(err)
	}

	q := &smartsheet.Query{Filter: smartsheet.Where("库存", smartsheet.LessThan, 2)}
	for rec, err := range client.Records(ctx, docID, sheetID, q) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(rec.Values["名称"], rec.Values["库存"].Int())
	}
	// Output:
	// 迷你包 1
	// 双肩包 0
}

// Product is a row of the inventory sheet.
type Product struct {
	ID    string   `smartsheet:"-,id"`
	Code  string   `smartsheet:"产品编码,key"`
	Name  string   `smartsheet:"名称"`
	Price float64  `smartsheet:"价格,type=currency"`
	Stock int      `smartsheet:"库存"`
	State string   `smartsheet:"状态,type=single_select,options=在售|售罄"`
	Tags  []string `smartsheet:"标签"`
}

func ExampleTable() {
	srv := wecomtest.NewServer()
	defer srv.Close()
	wc, err := wecom.New(wecomtest.DefaultCorpID, wecomtest.DefaultSecret,
		wecom.WithAgentID(wecomtest.DefaultAgentID), wecom.WithBaseURL(srv.URL))
	if err != nil {
		log.Fatal(err)
	}
	client := smartsheet.New(wc)
	ctx := context.Background()
	doc, err := client.CreateDoc(ctx, &smartsheet.CreateDocRequest{Name: "库存"})
	if err != nil {
		log.Fatal(err)
	}
	sheets, err := client.Sheets(ctx, doc.ID, nil)
	if err != nil {
		log.Fatal(err)
	}

	products, err := smartsheet.NewTable[Product](client, doc.ID, sheets[0].ID)
	if err != nil {
		log.Fatal(err)
	}
	created, err := products.EnsureSchema(ctx) // creates the columns the sheet lacks
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(created), "columns")

	_, err = products.Upsert(ctx,
		Product{Code: "TOTE-1", Name: "托特包", Price: 1299, Stock: 3, State: "在售", Tags: []string{"皮"}},
		Product{Code: "MINI-2", Name: "迷你包", Price: 399.5, Stock: 1, State: "在售"},
	)
	if err != nil {
		log.Fatal(err)
	}
	// Sell the last mini bag: Upsert by key updates the record in place.
	_, err = products.Upsert(ctx, Product{Code: "MINI-2", Name: "迷你包", Price: 399.5, Stock: 0, State: "售罄"})
	if err != nil {
		log.Fatal(err)
	}

	p, err := products.Get(ctx, "TOTE-1")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Name, p.Price, p.Stock, p.State, p.Tags)

	for p, err := range products.Find(ctx, smartsheet.Where("状态", smartsheet.Is, "售罄")) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("sold out:", p.Code)
	}
	n, _ := srv.RecordCount(doc.ID, sheets[0].ID)
	fmt.Println(n, "records")
	// Output:
	// 6 columns
	// 托特包 1299 3 在售 [皮]
	// sold out: MINI-2
	// 2 records
}

func ExampleWhere() {
	f := smartsheet.Or(
		smartsheet.Where("库存", smartsheet.LessThan, 2),
		smartsheet.Where("状态", smartsheet.Is, "售罄"),
	)
	fmt.Println(f.Err())

	bad := smartsheet.And(f, smartsheet.Where("名称", smartsheet.Contains, "包"))
	fmt.Println(errors.Is(bad.Err(), smartsheet.ErrInvalidInput))
	// Output:
	// <nil>
	// true
}
