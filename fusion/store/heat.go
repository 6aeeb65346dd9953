package store

import "sort"

// SortHeat orders cells by start, then room, so every backend answers alike.
func SortHeat(cells []HeatCell) {
	sort.Slice(cells, func(i, j int) bool {
		if !cells[i].Start.Equal(cells[j].Start) {
			return cells[i].Start.Before(cells[j].Start)
		}
		return cells[i].Room < cells[j].Room
	})
}
