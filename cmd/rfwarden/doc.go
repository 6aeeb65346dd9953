// Command rfwarden finds contraband phones and drones from their radio
// emissions. One binary, many subcommands; see `rfwarden help`.
package main
