// The Go driver of the `check` differential test (tests/check-sdks, mk/check.mk): runs each
// helper named on stdin (one `name<TAB>command` a line) through the real aws-sdk-go v1
// (`processcreds.NewCredentials`, `Credentials.Get`, then a request signed by its v4 signer) and
// the real aws-sdk-go-v2 (`processcreds.NewProvider` behind `aws.NewCredentialsCache`,
// `Retrieve`, then a request signed by its v4 signer), with the SDKs' default options. Prints
// `SDK<TAB>name<TAB>accepts` or `SDK<TAB>name<TAB>rejects: why` for each SDK and helper.
//
// A reason never carries the helper's output: aws-sdk-go v1 and v2 put the whole output into
// their parse errors, so only the error's code and cause are printed.
package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	awsv2 "github.com/aws/aws-sdk-go-v2/aws"
	signerv2 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	processcredsv2 "github.com/aws/aws-sdk-go-v2/credentials/processcreds"
	"github.com/aws/aws-sdk-go/aws/awserr"
	processcredsv1 "github.com/aws/aws-sdk-go/aws/credentials/processcreds"
	signerv1 "github.com/aws/aws-sdk-go/aws/signer/v4"
)

const body = "Action=GetCallerIdentity&Version=2011-06-15"

func request() *http.Request {
	req, err := http.NewRequest("POST", "https://sts.us-east-1.amazonaws.com/", strings.NewReader(body))
	if err != nil {
		panic(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

// v1: the error's code and cause (its message holds the output for a parse error).
func v1Reason(err error) string {
	var ae awserr.Error
	if errors.As(err, &ae) {
		if ae.OrigErr() != nil {
			return ae.Code() + ": " + ae.OrigErr().Error()
		}
		return ae.Code() + ": " + ae.Message()
	}
	return err.Error()
}

func goV1(command string) error {
	creds := processcredsv1.NewCredentials(command)
	if _, err := creds.Get(); err != nil {
		return errors.New(v1Reason(err))
	}
	_, err := signerv1.NewSigner(creds).Sign(request(), strings.NewReader(body), "sts", "us-east-1", time.Now())
	if err != nil {
		return fmt.Errorf("signing: %s", v1Reason(err))
	}
	return nil
}

// v2: the innermost cause of a parse error (whose text holds the output), else the text.
func v2Reason(err error) string {
	if strings.Contains(err.Error(), "parse failed of process output") {
		for errors.Unwrap(err) != nil {
			err = errors.Unwrap(err)
		}
		return "parse failed of process output: " + err.Error()
	}
	return err.Error()
}

func goV2(command string) error {
	ctx := context.Background()
	cache := awsv2.NewCredentialsCache(processcredsv2.NewProvider(command))
	creds, err := cache.Retrieve(ctx)
	if err != nil {
		return errors.New(v2Reason(err))
	}
	sum := sha256.Sum256([]byte(body))
	err = signerv2.NewSigner().SignHTTP(ctx, creds, request(), hex.EncodeToString(sum[:]), "sts", "us-east-1", time.Now())
	if err != nil {
		return fmt.Errorf("signing: %s", v2Reason(err))
	}
	return nil
}

func verdict(err error) string {
	if err == nil {
		return "accepts"
	}
	return "rejects: " + strings.NewReplacer("\n", " ", "\t", " ").Replace(err.Error())
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<16), 1<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		name, command, ok := strings.Cut(in.Text(), "\t")
		if !ok {
			continue
		}
		fmt.Fprintf(out, "aws-sdk-go v1\t%s\t%s\n", name, verdict(goV1(command)))
		fmt.Fprintf(out, "aws-sdk-go-v2\t%s\t%s\n", name, verdict(goV2(command)))
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
