//go:build race

package processcreds_test

// aws-sdk-go v1's processcreds races with itself when a helper that wrote output fails or
// times out: it returns its output buffer while its reader goroutine may still write to it. Under
// the race detector the differential suite therefore runs the vectors through this binding only.
const raceDetector = true
