package hackrfsrc

import "github.com/rfwarden/rfwarden/sensor/config"

func configWithGains() config.Config {
	c := config.Default()
	c.Source.SampleRateHz = 10e6
	c.Gains = []config.Gain{{LowHz: 800e6, HighHz: 1e9, GainDB: 24}, {LowHz: 1.7e9, HighHz: 1.9e9, GainDB: 16}}
	return c
}
