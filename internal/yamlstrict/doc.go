// Package yamlstrict decodes rfwarden's YAML files (fusion.yaml, the alert
// rules, a sensor's node.yaml, the site model) strictly, unknown keys being
// errors, and reports every problem the same way: its [line:column], the
// key's path as written in the file (mqtt.max_inflight, rules[2].for), what
// is wrong, and the line itself with a caret under the value. At reports a
// value that decoded but does not validate the same way.
package yamlstrict
