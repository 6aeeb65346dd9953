package dashboard

import (
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"

	"github.com/labstack/echo/v4"
)

// recoverPanic turns a handler's panic into a 500 answered with the API's
// JSON error (by errorHandler) and logs it with its stack: without it a
// panic (an index out of range on a hostile recording) reached net/http,
// which logged it to stderr and dropped the connection, so the client got
// an empty reply and nothing was audited or counted. http.ErrAbortHandler
// is net/http's way to abort a response and is passed on.
func (s *server) recoverPanic(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if e, ok := p.(error); ok && errors.Is(e, http.ErrAbortHandler) {
				panic(p)
			}
			s.log.Error("dashboard handler panicked", "method", c.Request().Method, "path", c.Path(), "uri", c.Request().URL.Path,
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = echo.NewHTTPError(http.StatusInternalServerError, "internal error")
		}()
		return next(c)
	}
}
