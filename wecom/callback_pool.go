package wecom

import (
	"context"
	"sync"
)

// workerPool runs jobs on at most cap(sem) goroutines, started on demand, with a bounded queue.
// No goroutine lives while the queue is empty, so an idle handler owns none.
type workerPool struct {
	jobs chan func()
	sem  chan struct{}
	wg   sync.WaitGroup // queued + running jobs

	mu     sync.RWMutex
	closed bool
}

func newWorkerPool(workers, queue int) *workerPool {
	return &workerPool{jobs: make(chan func(), queue), sem: make(chan struct{}, workers)}
}

// submit queues f; it reports false when the queue is full or the pool is shut down.
func (p *workerPool) submit(f func()) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return false
	}
	p.wg.Add(1)
	select {
	case p.jobs <- f:
	default:
		p.wg.Done()
		return false
	}
	select {
	case p.sem <- struct{}{}:
		go p.work()
	default: // every worker is busy; one of them will pick f up
	}
	return true
}

func (p *workerPool) work() {
	for {
		for drained := false; !drained; {
			select {
			case f := <-p.jobs:
				f()
				p.wg.Done()
			default:
				drained = true
			}
		}
		<-p.sem
		// A job queued between the drain and the release may have found every slot taken.
		if len(p.jobs) == 0 {
			return
		}
		select {
		case p.sem <- struct{}{}:
		default:
			return // another worker holds a slot and will see it
		}
	}
}

func (p *workerPool) shutdown(ctx context.Context) error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	done := make(chan struct{})
	go func() {
		p.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
