// Package store is the scanner's store of record: products, the stock ledger, sales, request IDs,
// chat drafts, photos, import jobs and the outbox that feeds the WeCom smart sheet, in a SQL
// database through database/sql. SQLite (modernc.org/sqlite, a file under the data directory) is
// the embedded default; PostgreSQL (pgx) serves several replicas.
//
// Every stock change is one transaction that also queues what the smart sheet must learn (the
// outbox), so a change is either fully in the store and on its way to the sheet, or not there at
// all. Changes of one bag are serialised by the database: SQLite has a single writer (one write
// connection, BEGIN IMMEDIATE), PostgreSQL locks the product row (SELECT … FOR UPDATE). Stock can
// never go below zero (a CHECK constraint). The ledger's sequence number, not a clock, orders its
// rows.
//
// The schema is versioned (see migrations.go): a new version is a new entry, never an edit.
package store
