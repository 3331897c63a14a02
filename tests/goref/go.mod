module processcreds.test/goref

go 1.21

require github.com/aws/aws-sdk-go v1.55.8
