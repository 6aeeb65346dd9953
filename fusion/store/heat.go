package store

import "sort"

// SortHeat orders cells by hour, then room, so every backend answers alike.
func SortHeat(cells []HeatCell) {
	sort.Slice(cells, func(i, j int) bool {
		if !cells[i].HourStart.Equal(cells[j].HourStart) {
			return cells[i].HourStart.Before(cells[j].HourStart)
		}
		return cells[i].Room < cells[j].Room
	})
}
