// Package english holds the small helpers of wording that rfwarden's
// messages share: a count's noun in the singular or the plural, and a
// list cut short ("a, b and 4 more").
package english
