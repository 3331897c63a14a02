//go:build !windows

package processcreds_test

import (
	"fmt"
	"os/exec"
	"time"

	"github.com/aws/aws-sdk-go/aws/awserr"

	"github.com/processcreds/processcreds/bindings/go"
)

// The helper a real program would name, e.g. "/usr/local/bin/get-creds --profile ci".
const exampleHelper = `echo '{"Version":1,"AccessKeyId":"AKIDEXAMPLE","SecretAccessKey":"wJalrXUtnFEMI","SessionToken":"token"}'`

func ExampleNewCredentials() {
	// As with aws-sdk-go v1's processcreds: pass creds as aws.Config{Credentials: creds}.
	creds := processcreds.NewCredentials(exampleHelper, func(opt *processcreds.ProcessProvider) {
		opt.Timeout = 30 * time.Second
		opt.Stdin = processcreds.StdinNull // a helper that never prompts
	})
	v, err := creds.Get()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(v.AccessKeyID, v.ProviderName, creds.IsExpired())
	// Output: AKIDEXAMPLE ProcessProvider false
}

func ExampleNewCredentialsCommand() {
	// Extra arguments are $0, $1, ... of the shell command, as in aws-sdk-go v1.
	cmd := exec.Command(`printf '{"Version":1,"AccessKeyId":"%s","SecretAccessKey":"x"}' "$1"`, "sh", "AKIDFROMARG")
	v, err := processcreds.NewCredentialsCommand(cmd).Get()
	fmt.Println(v.AccessKeyID, err)
	// Output: AKIDFROMARG <nil>
}

func ExampleNewCredentialsArgv() {
	// No shell: each element is one argument, whatever it holds.
	creds := processcreds.NewCredentialsArgv([]string{"printf", `{"Version":1,"AccessKeyId":"%s","SecretAccessKey":"x"}`, "AKID $HOME"})
	v, err := creds.Get()
	fmt.Println(v.AccessKeyID, err)
	// Output: AKID $HOME <nil>
}

func ExampleError() {
	_, err := processcreds.NewCredentials("echo 'no cached token' >&2; exit 2", func(opt *processcreds.ProcessProvider) {
		opt.Stderr = processcreds.StderrCapture
	}).Get()
	if aerr, ok := err.(awserr.Error); ok {
		fmt.Println(aerr.Code())
		fmt.Println(aerr.Message())
		fmt.Println(aerr.OrigErr())
	}
	fmt.Println(err.(*processcreds.Error).Stderr())
	// Output:
	// ProcessProviderExecutionError
	// error in credential_process
	// exit status 2
	// no cached token
}

func ExampleProcessProvider_Duration() {
	// D6: a Duration set by an option is the lifetime of credentials without an Expiration.
	p := processcreds.NewProvider(exampleHelper, func(opt *processcreds.ProcessProvider) {
		opt.Duration = processcreds.DefaultDuration
	})
	defer p.Close()
	if _, err := p.Retrieve(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(time.Until(p.ExpiresAt()).Round(time.Minute))
	// Output: 15m0s
}
