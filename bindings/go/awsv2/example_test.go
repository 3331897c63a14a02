//go:build !windows

package awsv2_test

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/processcreds/processcreds/bindings/go/awsv2"
)

func ExampleNewProvider() {
	// With config.LoadDefaultConfig: config.WithCredentialsProvider(cache).
	helper := `echo '{"Version":1,"AccessKeyId":"AKIDEXAMPLE","SecretAccessKey":"x","AccountId":"123456789012"}'`
	p := awsv2.NewProvider(helper, func(o *awsv2.Options) {
		o.Timeout = 30 * time.Second
		o.Stdin = awsv2.StdinNull
	})
	defer p.Close()
	cache := aws.NewCredentialsCache(p)
	creds, err := cache.Retrieve(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(creds.AccessKeyID, creds.Source, creds.AccountID, creds.CanExpire)
	// Output: AKIDEXAMPLE ProcessProvider 123456789012 false
}
