// Command bench compares the Go binding with aws-sdk-go v1's own processcreds, side by side in
// one run: the two sides alternate call by call (or batch by batch) and their medians are
// compared, so that a noisy machine slows both alike.
//
//	go run . <helper>     (make bench-go passes build/bench-helper)
//
// PC_BENCH_N sets the number of fresh retrieves per side (default 500).
package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go/aws/credentials"
	v1pc "github.com/aws/aws-sdk-go/aws/credentials/processcreds"

	"github.com/processcreds/processcreds/bindings/go"
)

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// pair times a and b alternately n times (the order flips every round) and returns the medians
// in seconds per call of each.
func pair(n int, a, b func() error) (float64, float64) {
	ta := make([]float64, 0, n)
	tb := make([]float64, 0, n)
	timeOne := func(f func() error, into *[]float64) {
		start := time.Now()
		must(f())
		*into = append(*into, time.Since(start).Seconds())
	}
	for i := 0; i < n; i++ {
		if i%2 == 0 {
			timeOne(a, &ta)
			timeOne(b, &tb)
		} else {
			timeOne(b, &tb)
			timeOne(a, &ta)
		}
	}
	return median(ta), median(tb)
}

// batched returns a function that runs f `size` times, for pair to time as one call.
func batched(size int, f func() error) func() error {
	return func() error {
		for i := 0; i < size; i++ {
			if err := f(); err != nil {
				return err
			}
		}
		return nil
	}
}

func human(s float64) string {
	switch {
	case s >= 1e-3:
		return fmt.Sprintf("%.3f ms", s*1e3)
	case s >= 1e-6:
		return fmt.Sprintf("%.2f µs", s*1e6)
	default:
		return fmt.Sprintf("%.1f ns", s*1e9)
	}
}

type row struct {
	name, ours, theirs string
	ratio              float64
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: bench <helper>")
		os.Exit(2)
	}
	helper := os.Args[1]
	n := 500
	if s := os.Getenv("PC_BENCH_N"); s != "" {
		v, err := strconv.Atoi(s)
		must(err)
		n = v
	}

	// Fresh: Expire then Get through aws-sdk-go v1's Credentials, as a program refreshes.
	ours := processcreds.NewCredentials(helper)
	theirs := v1pc.NewCredentials(helper)
	fresh := func(c *credentials.Credentials) func() error {
		return func() error {
			c.Expire()
			_, err := c.Get()
			return err
		}
	}
	// Warm up both sides (page cache, first spawn).
	for i := 0; i < 20; i++ {
		must(fresh(ours)())
		must(fresh(theirs)())
	}
	var rows []row
	add := func(name string, a, b float64) {
		rows = append(rows, row{name, human(a), human(b), a / b})
	}
	a, b := pair(n, fresh(ours), fresh(theirs))
	add("fresh Get (Expire + Get), sh -c helper", a, b)

	// The same through the providers' Retrieve (which always runs the helper).
	op := processcreds.NewProvider(helper)
	defer op.Close()
	// aws-sdk-go v1 has no constructor that returns its provider: an option function catches it.
	var tp *v1pc.ProcessProvider
	v1pc.NewCredentials(helper, func(p *v1pc.ProcessProvider) { tp = p })
	a, b = pair(n, func() error { _, err := op.Retrieve(); return err }, func() error { _, err := tp.Retrieve(); return err })
	add("fresh Retrieve(), sh -c helper", a, b)

	// Argv (no shell) against a bare os/exec run of the helper, stdout read to EOF.
	argv := processcreds.NewCredentialsArgv([]string{helper})
	a, b = pair(n, fresh(argv), func() error { _, err := exec.Command(helper).Output(); return err })
	rowsArgv := row{"fresh Get, argv (no shell) vs os/exec Output()", human(a), human(b), a / b}

	// Cached: Get on valid credentials, in batches of 10 000 calls.
	must(fresh(ours)())
	must(fresh(theirs)())
	const batch = 10000
	get := func(c *credentials.Credentials) func() error {
		return func() error { _, err := c.Get(); return err }
	}
	a, b = pair(41, batched(batch, get(ours)), batched(batch, get(theirs)))
	add("cached Get()", a/batch, b/batch)
	isExp := func(c *credentials.Credentials) func() error {
		return func() error {
			if c.IsExpired() {
				return fmt.Errorf("expired")
			}
			return nil
		}
	}
	a, b = pair(41, batched(batch, isExp(ours)), batched(batch, isExp(theirs)))
	add("cached IsExpired()", a/batch, b/batch)

	fmt.Printf("Go binding (libprocesscreds %s) vs aws-sdk-go v1.55.8 processcreds\n", processcreds.LibraryVersion())
	fmt.Printf("helper %s, %d fresh retrieves per side, %s, GOMAXPROCS %d; medians, sides interleaved\n\n",
		helper, n, runtime.Version(), runtime.GOMAXPROCS(0))
	fmt.Printf("| %-46s | %12s | %12s | %7s |\n", "row", "processcreds", "aws-sdk-go v1", "ratio")
	fmt.Printf("|%s|%s|%s|%s|\n", dashes(48), dashes(14), dashes(15), dashes(9))
	for _, r := range rows {
		fmt.Printf("| %-46s | %12s | %13s | %6.2f× |\n", r.name, r.ours, r.theirs, r.ratio)
	}
	fmt.Printf("\n| %-46s | %12s | %13s | %6.2f× |\n", rowsArgv.name, rowsArgv.ours, rowsArgv.theirs, rowsArgv.ratio)
	fmt.Println("\nratio: processcreds / the other side (below 1: the binding is faster)")
}

func dashes(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = '-'
	}
	return string(b)
}
