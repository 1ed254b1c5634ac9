package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
)

// Import job states.
const (
	JobQueued  = "queued"
	JobRunning = "running"
	JobDone    = "done"
	JobFailed  = "failed"
)

// Job is a background import of a spreadsheet. Its rows and progress are in the database, so a
// restart (or another replica) carries on where it stopped, and the progress page survives reloads.
type Job struct {
	ID        string
	FileName  string
	Actor     string // who uploaded it
	Manager   bool   // the uploader may record cost
	State     string
	Total     int // data rows in the file
	Done      int // rows handled so far
	Created   int
	Skipped   int    // rows already imported (same file again)
	Failed    int    // rows with an error
	Results   string // JSON list of per-row results
	Error     string // why the job failed
	CreatedAt time.Time
	UpdatedAt time.Time
}

const jobCols = `id, file_name, actor, manager, state, total, done, created, skipped, failed, results_json, error, created_at, updated_at`

// CreateJob stores a new job with its parsed rows (JSON).
func (s *Store) CreateJob(ctx context.Context, j *Job, rows []byte) error {
	return s.WriteTx(ctx, func(tx *Tx) error {
		j.State, j.CreatedAt, j.UpdatedAt = JobQueued, tx.now, tx.now
		if j.Results == "" {
			j.Results = "[]"
		}
		_, err := tx.exec(ctx, `INSERT INTO import_jobs (`+jobCols+`, rows_json) VALUES (`+placeholders(15)+`)`,
			j.ID, j.FileName, j.Actor, boolInt(j.Manager), j.State, j.Total, j.Done, j.Created, j.Skipped, j.Failed,
			j.Results, j.Error, ms(j.CreatedAt), ms(j.UpdatedAt), string(rows))
		return err
	})
}

func scanJob(sc scanner) (*Job, error) {
	var j Job
	var mgr int
	var created, updated int64
	err := sc.Scan(&j.ID, &j.FileName, &j.Actor, &mgr, &j.State, &j.Total, &j.Done, &j.Created, &j.Skipped, &j.Failed,
		&j.Results, &j.Error, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, shop.ErrNotFound
	}
	j.Manager, j.CreatedAt, j.UpdatedAt = mgr != 0, fromMS(created), fromMS(updated)
	return &j, err
}

// Job returns a job (without its rows).
func (s *Store) Job(ctx context.Context, id string) (*Job, error) {
	return scanJob(s.queryRow(ctx, `SELECT `+jobCols+` FROM import_jobs WHERE id = ?`, id))
}

// NextJob returns the oldest job that is not finished, or shop.ErrNotFound.
func (s *Store) NextJob(ctx context.Context) (*Job, error) {
	return scanJob(s.queryRow(ctx, `SELECT `+jobCols+` FROM import_jobs WHERE state IN (?, ?) ORDER BY created_at, id LIMIT 1`,
		JobQueued, JobRunning))
}

// RecentJobs lists the latest jobs, newest first.
func (s *Store) RecentJobs(ctx context.Context, limit int) ([]Job, error) {
	rows, err := s.query(ctx, `SELECT `+jobCols+` FROM import_jobs ORDER BY created_at DESC, id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *j)
	}
	return out, rows.Err()
}

// JobRows returns a job's parsed rows (JSON).
func (s *Store) JobRows(ctx context.Context, id string) ([]byte, error) {
	var rows string
	err := s.queryRow(ctx, `SELECT rows_json FROM import_jobs WHERE id = ?`, id).Scan(&rows)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, shop.ErrNotFound
	}
	return []byte(rows), err
}

// SaveJobProgress records a job's progress (state, counters, results, error).
func (t *Tx) SaveJobProgress(ctx context.Context, j *Job) error {
	j.UpdatedAt = t.now
	_, err := t.exec(ctx, `UPDATE import_jobs SET state = ?, done = ?, created = ?, skipped = ?, failed = ?,
		results_json = ?, error = ?, updated_at = ? WHERE id = ?`, j.State, j.Done, j.Created, j.Skipped, j.Failed,
		j.Results, j.Error, ms(j.UpdatedAt), j.ID)
	return err
}
