module processcreds.test/check-sdks

go 1.24

require (
	github.com/aws/aws-sdk-go v1.55.8
	github.com/aws/aws-sdk-go-v2 v1.48.0
	github.com/aws/aws-sdk-go-v2/credentials v1.21.3
)

require (
	github.com/aws/smithy-go v1.28.9 // indirect
	github.com/jmespath/go-jmespath v0.4.0 // indirect
)
