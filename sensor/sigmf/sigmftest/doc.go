// Package sigmftest makes small SigMF recordings for tests of the packages
// that receive them.
package sigmftest
