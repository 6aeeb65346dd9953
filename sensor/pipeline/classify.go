package pipeline

import "github.com/rfwarden/rfwarden/dsp/classify"

// DefaultClassifier returns the classifier table of dsp/classify (embedded
// band plan) adapted to the pipeline. Every caller gets its own Set, so
// pipelines running in different goroutines share nothing.
func DefaultClassifier() Classifier {
	return SetClassifier(classify.Default())
}

// SetClassifier adapts a classify.Set (for example one built over a site's
// own band plan with classify.New) to the pipeline.
func SetClassifier(set *classify.Set) Classifier {
	return ClassifierFunc(func(in ClassifierInput) Label {
		l := set.Classify(classify.Input{IQ: in.IQ, IQStart: in.IQStart, SampleRateHz: in.SampleRateHz,
			CenterHz: in.CenterHz, Em: in.Em})
		return Label{Class: l.Class, Link: l.Link, Band: l.Band, Confidence: l.Confidence, Text: l.Text}
	})
}
