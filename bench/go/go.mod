module github.com/processcreds/processcreds/bench/go

go 1.24

require (
	github.com/aws/aws-sdk-go v1.55.8
	github.com/processcreds/processcreds/bindings/go v0.0.0
)

replace github.com/processcreds/processcreds/bindings/go => ../../bindings/go
