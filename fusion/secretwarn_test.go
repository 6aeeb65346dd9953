package fusion

import (
	"strings"
	"testing"
)

// TestSecretWarnings: any webhook secret that was set was taken without a
// word, "x" and a secret with the "\r" of a file edited on Windows alike;
// the second makes the receiver refuse every delivery. Each is warned of,
// naming the variable and never quoting the secret.
func TestSecretWarnings(t *testing.T) {
	const env = "RFW_TEST_WEBHOOK_SECRET"
	good := strings.Repeat("0123456789abcdef", 4)
	for _, tc := range []struct {
		name, url, secret string
		want              []string // one substring per warning, in order
	}{
		{"good", "https://127.0.0.1/hook", good, nil},
		{"no webhook", "", "x", nil},
		{"no secret (CheckSecrets refuses it)", "https://127.0.0.1/hook", "", nil},
		{"short", "https://127.0.0.1/hook", "hunter2", []string{"$" + env + " is 7 bytes: a secret this short can be guessed"}},
		{"just short", "https://127.0.0.1/hook", good[:15], []string{"is 15 bytes"}},
		{"just long enough", "https://127.0.0.1/hook", good[:16], nil},
		{"carriage return", "https://127.0.0.1/hook", good + "\r", []string{"$" + env + " begins or ends with white space or holds a control character"}},
		{"leading space", "https://127.0.0.1/hook", " " + good, []string{"begins or ends with white space"}},
		{"inner tab", "https://127.0.0.1/hook", good[:20] + "\t" + good[20:], []string{"holds a control character"}},
		{"short and spaced", "https://127.0.0.1/hook", "pin ", []string{"is 4 bytes", "begins or ends with white space"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(env, tc.secret)
			var c FileConfig
			c.Webhook.URL, c.Webhook.SecretEnv = tc.url, env
			got := c.SecretWarnings()
			if len(got) != len(tc.want) {
				t.Fatalf("warnings %q, want %d", got, len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("warning %d %q, want %q", i, got[i], w)
				}
				if strings.TrimSpace(tc.secret) != "" && strings.Contains(got[i], strings.TrimSpace(tc.secret)) {
					t.Errorf("warning %d %q quotes the secret", i, got[i])
				}
			}
		})
	}
}
