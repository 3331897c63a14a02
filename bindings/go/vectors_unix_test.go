//go:build !windows

package processcreds_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/processcreds/processcreds/bindings/go"
	"github.com/processcreds/processcreds/bindings/go/internal/vectors"
)

// D1 through the binding: a timeout kills the helper's descendants too.
func TestTimeoutKillsDescendants(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	cmd := fmt.Sprintf("exec 2>/dev/null; sleep 30 & echo $! > '%s'; sleep 30", pidFile)
	_, err := processcreds.NewCredentialsTimeout(cmd, 300*time.Millisecond).Get()
	if err == nil || err.Error() != vectors.TimeoutMessage {
		t.Fatalf("got %v", err)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	if _, err := fmt.Sscan(string(b), &pid); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		err := syscall.Kill(pid, 0)
		if errors.Is(err, syscall.ESRCH) {
			return
		}
		// A zombie waiting for init to reap it counts as gone.
		if st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); strings.Contains(string(st), ") Z ") {
			return
		}
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("the helper's background child %d survived the timeout", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
