//go:build !race

package processcreds_test

const raceDetector = false
