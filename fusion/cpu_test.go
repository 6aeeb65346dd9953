package fusion

import "github.com/rfwarden/rfwarden/internal/benchcpu"

var reportCPU = benchcpu.Report
