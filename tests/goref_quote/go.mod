module processcreds.test/goref_quote

go 1.21
