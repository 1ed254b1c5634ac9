// Package imports registers bags from an uploaded spreadsheet as a background job: the upload
// stores the parsed rows and returns at once with a job id; a runner registers them a chunk per
// transaction, recording the job's progress in the same transaction, so that the progress page
// survives reloads and a restart (or another replica) resumes exactly where it stopped.
package imports

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
)

// Result is the outcome of one row.
type Result struct {
	Row     int    `json:"row"`
	Code    string `json:"code,omitempty"`     // the bag created (its label is printed with the job's)
	Skipped bool   `json:"skipped,omitempty"`  // the bag was there already (or an earlier row of the file)
	Exists  string `json:"existing,omitempty"` // the code of the bag that was there already
	Reason  string `json:"reason,omitempty"`   // why it was skipped
	Error   string `json:"error,omitempty"`
}

// Submit reads a file, checks its rows against the shop and queues it as a job; it returns at once.
// A bad file is a *ParseError and nothing is written. Rows whose bag is in the shop already (see
// identity) are skipped, so uploading the same file again creates nothing twice.
func Submit(ctx context.Context, st *store.Store, svc *shop.Service, a shop.Actor, name string, data []byte, o Options) (*store.Job, error) {
	f, err := prepare(ctx, st, svc, a, name, data, o)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(f.Rows)
	if err != nil {
		return nil, err
	}
	var id [8]byte
	_, _ = rand.Read(id[:])
	label := name
	if f.Sheet != "" && len(f.Sheets) > 1 {
		label += " · " + f.Sheet
	}
	j := &store.Job{ID: hex.EncodeToString(id[:]), FileName: label, Actor: a.UserID, Manager: a.Manager, Total: len(f.Rows)}
	if err := st.CreateJob(ctx, j, raw); err != nil {
		return nil, err
	}
	return j, nil
}

// Summary is a job's outcome in words: 「新增 N 件；已存在 M 件，未重复创建；K 行有错误」.
func Summary(j *store.Job) string {
	var parts []string
	if j.Created > 0 || j.Skipped == 0 {
		parts = append(parts, fmt.Sprintf("新增 %d 件", j.Created))
	}
	if j.Skipped > 0 {
		parts = append(parts, fmt.Sprintf("已存在 %d 件，未重复创建", j.Skipped))
	}
	if j.Failed > 0 {
		parts = append(parts, fmt.Sprintf("%d 行有错误", j.Failed))
	}
	return strings.Join(parts, "；")
}

// Runner runs the queued jobs, one at a time across replicas (a lease in the store).
type Runner struct {
	st    *store.Store
	shop  *shop.Service
	log   *slog.Logger
	owner string
	chunk int
	wake  chan struct{}

	afterChunk func() // tests: called after each committed chunk
}

// NewRunner returns a runner; owner names this replica in the lease.
func NewRunner(st *store.Store, svc *shop.Service, owner string, log *slog.Logger) *Runner {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Runner{st: st, shop: svc, log: log, owner: owner, chunk: 100, wake: make(chan struct{}, 1)}
}

// Kick wakes the runner (a job was submitted).
func (r *Runner) Kick() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run runs jobs until ctx ends.
func (r *Runner) Run(ctx context.Context) {
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		if err := r.RunOnce(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn("imports: job failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		case <-t.C:
		}
	}
}

// RunOnce runs the queued jobs to the end, if this replica holds the lease.
func (r *Runner) RunOnce(ctx context.Context) error {
	for {
		// An idle runner only reads: a write costs an fsync and, on SQLite, every reader's page
		// cache.
		if _, err := r.st.NextJob(ctx); err != nil {
			if errors.Is(err, shop.ErrNotFound) {
				return nil
			}
			return err
		}
		held, err := r.st.Lease(ctx, "import", r.owner, time.Minute)
		if err != nil || !held {
			return err
		}
		j, err := r.st.NextJob(ctx)
		if errors.Is(err, shop.ErrNotFound) {
			return r.st.ReleaseLease(ctx, "import", r.owner)
		}
		if err != nil {
			return err
		}
		if err := r.run(ctx, j); err != nil {
			return fmt.Errorf("job %s: %w", j.ID, err)
		}
	}
}

// run registers a job's remaining rows, a chunk per transaction.
func (r *Runner) run(ctx context.Context, j *store.Job) error {
	raw, err := r.st.JobRows(ctx, j.ID)
	if err != nil {
		return err
	}
	var rows []Row
	var results []Result
	if err := json.Unmarshal(raw, &rows); err != nil {
		return r.fail(ctx, j, "任务数据损坏 (corrupt job)")
	}
	if err := json.Unmarshal([]byte(j.Results), &results); err != nil {
		results = nil
	}
	a := shop.Actor{UserID: j.Actor, Manager: j.Manager}
	for j.Done < len(rows) {
		if _, err := r.st.Lease(ctx, "import", r.owner, time.Minute); err != nil {
			return err
		}
		chunk := rows[j.Done:min(j.Done+r.chunk, len(rows))]
		var ins []shop.NewProduct
		var idx []int // chunk index of each product sent
		next := *j
		next.State = store.JobRunning
		add := append([]Result(nil), results...)
		for i, row := range chunk {
			if row.Error != "" {
				add = append(add, Result{Row: row.Row, Error: row.Error})
				next.Failed++
				continue
			}
			if st, why := rowOutcome(row); st == Exists || st == Duplicate {
				add = append(add, Result{Row: row.Row, Exists: row.Existing, Skipped: true, Reason: why})
				next.Skipped++
				continue
			}
			ins, idx = append(ins, row.Product), append(idx, i)
		}
		var gotJob store.Job
		var gotResults []Result
		_, err := r.shop.RegisterBatchWith(ctx, a, ins, func(ctx context.Context, tx shop.Tx, res []shop.Registered) error {
			out := append([]Result(nil), add...)
			n := next // a copy: the transaction may run again
			for k, reg := range res {
				row := chunk[idx[k]].Row
				switch {
				case errors.Is(reg.Err, shop.ErrCodeTaken):
					// Registered meanwhile (another upload, a member): the code is the identity.
					code := chunk[idx[k]].Product.Code
					out = append(out, Result{Row: row, Exists: code, Skipped: true, Reason: existsReason(code)})
					n.Skipped++
				case reg.Err != nil:
					out, n.Failed = append(out, Result{Row: row, Error: errText(reg.Err)}), n.Failed+1
				case reg.Replay:
					out = append(out, Result{Row: row, Exists: reg.Product.Code, Skipped: true, Reason: existsReason(reg.Product.Code)})
					n.Skipped++
				default:
					out, n.Created = append(out, Result{Row: row, Code: reg.Product.Code}), n.Created+1
				}
			}
			slices.SortStableFunc(out, func(a, b Result) int { return a.Row - b.Row })
			n.Done += len(chunk)
			if n.Done == len(rows) {
				n.State = store.JobDone
			}
			b, _ := json.Marshal(out)
			n.Results = string(b)
			if err := tx.(*store.Tx).SaveJobProgress(ctx, &n); err != nil {
				return err
			}
			gotJob, gotResults = n, out
			return nil
		})
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, shop.ErrConflict) {
				// Not a stop: the job cannot go on. Uploading the file again resumes it (rows
				// already registered are skipped).
				r.log.Warn("imports: job failed", "job", j.ID, "err", err)
				return errors.Join(err, r.fail(ctx, j, "导入中断，请重新上传同一文件继续 (import stopped; upload the file again to resume)"))
			}
			return err
		}
		*j, results = gotJob, gotResults
		if r.afterChunk != nil {
			r.afterChunk()
		}
	}
	if j.State != store.JobDone { // an empty file
		j.State = store.JobDone
		return r.st.WriteTx(ctx, func(tx *store.Tx) error { return tx.SaveJobProgress(ctx, j) })
	}
	r.log.Info("imports: job done", "job", j.ID, "created", j.Created, "skipped", j.Skipped, "failed", j.Failed)
	return nil
}

func (r *Runner) fail(ctx context.Context, j *store.Job, msg string) error {
	j.State, j.Error = store.JobFailed, msg
	return r.st.WriteTx(ctx, func(tx *store.Tx) error { return tx.SaveJobProgress(ctx, j) })
}
