package image

import "sync"

// leases keep garbage collection away from layers and blobs that a pull,
// load, import or commit has written but not yet registered. Unlike an
// RWMutex, a lease taken while GC waits is granted (GC waits for all leases
// to end), so nested leases cannot deadlock.
type leases struct {
	mu   sync.Mutex
	cond *sync.Cond
	n    int
	gc   bool
}

func (l *leases) init() { l.cond = sync.NewCond(&l.mu) }

// acquire takes a shared lease; it waits only while a collection runs.
func (l *leases) acquire() func() {
	l.mu.Lock()
	for l.gc {
		l.cond.Wait()
	}
	l.n++
	l.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			l.n--
			l.cond.Broadcast()
			l.mu.Unlock()
		})
	}
}

// exclusive waits until no lease is held and blocks new ones until the
// returned func is called.
func (l *leases) exclusive() func() {
	l.mu.Lock()
	for l.gc || l.n > 0 {
		l.cond.Wait()
	}
	l.gc = true
	l.mu.Unlock()
	return func() {
		l.mu.Lock()
		l.gc = false
		l.cond.Broadcast()
		l.mu.Unlock()
	}
}
