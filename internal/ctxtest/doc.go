// Package ctxtest has contexts for tests that stop work at a known point.
package ctxtest
