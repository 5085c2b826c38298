package fcruntime

import (
	"errors"
	"fmt"
	"path"
	"reflect"
	"runtime"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxFrames is how many stack frames a panic's stackTrace holds at most, as in the official Go runtime
// SDK (github.com/aliyun/fc-runtime-go-sdk).
const maxFrames = 32

// ErrorBody is the JSON object that reports a failed invocation: the body of a go1 runtime's /error post,
// and of a custom runtime's 404 answer when the handler returned no result.
type ErrorBody struct {
	// ErrorMessage is err.Error(), or fmt.Sprint of a panic's value.
	ErrorMessage string `json:"errorMessage"`
	// ErrorType is the error's type name with pointers dereferenced (errorString, wrapError, …), or the
	// type of a panic's value.
	ErrorType string `json:"errorType"`
	// StackTrace is where a panic happened, innermost frame first; it is present for panics only.
	StackTrace []Frame `json:"stackTrace,omitempty"`
}

// Frame is one frame of a panic's stack trace.
type Frame struct {
	// Path is the source file, starting at its package path: github.com/org/repo/pkg/file.go.
	Path string `json:"path"`
	// Line is the line number in Path.
	Line int `json:"line"`
	// Label is the function: Func, Type.Method, or Func.func1 for a closure.
	Label string `json:"label"`
}

// panicError is a recovered panic, from a handler or from a goroutine started with Go. The runtime
// reports it as the invocation's error, with errorType and stackTrace.
type panicError struct {
	// Value is the value passed to panic.
	Value any
	// Stack is where the panic happened, innermost frame first, at most 32 frames.
	Stack []Frame
}

// newPanicError returns a panicError for the panic value v, with the stack of the calling goroutine. Call it
// in the deferred function that recovered v, so that the stack still shows where the panic happened.
func newPanicError(v any) *panicError {
	return &panicError{Value: v, Stack: panicStack()}
}

// Error returns the panic's value as text.
func (e *panicError) Error() string { return fmt.Sprint(e.Value) }

// Unwrap returns the panic's value when it is an error, so that errors.Is and errors.As see it.
func (e *panicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// maxErrorMessage bounds an errorMessage, in bytes.
const maxErrorMessage = 4 << 10

// errorBody reports err as the platform expects it, its message on one line of at most 4 KiB.
func errorBody(err error) ErrorBody {
	var pe *panicError
	var re *requestError
	switch {
	case errors.As(err, &pe):
		return ErrorBody{ErrorMessage: oneLine(err.Error()), ErrorType: typeName(pe.Value), StackTrace: pe.Stack}
	case errors.As(err, &re):
		return ErrorBody{ErrorMessage: oneLine(re.msg), ErrorType: re.typ}
	}
	return ErrorBody{ErrorMessage: oneLine(err.Error()), ErrorType: typeName(err)}
}

// oneLine returns msg on one line of at most maxErrorMessage bytes: each run of line breaks becomes
// "; ", any other control character a space, and a longer message is cut (at a character boundary)
// with "…".
func oneLine(msg string) string {
	var b strings.Builder
	b.Grow(min(len(msg), maxErrorMessage+8))
	breaks := false
	for _, r := range msg {
		if b.Len() > maxErrorMessage {
			break
		}
		switch {
		case r == '\n' || r == '\r':
			breaks = true
			continue
		case breaks:
			b.WriteString("; ")
			breaks = false
		}
		if unicode.IsControl(r) {
			r = ' '
		}
		b.WriteRune(r)
	}
	s := b.String()
	if len(s) > maxErrorMessage {
		cut := maxErrorMessage - len("…")
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// typeName is the name of v's type with pointers dereferenced: errorString for errors.New, string for a
// panic with a string.
func typeName(v any) string {
	t := reflect.TypeOf(v)
	if t == nil {
		return "nil"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n := t.Name(); n != "" {
		return n
	}
	return t.String()
}

// panicStack returns the calling goroutine's stack below the panic that is being recovered: the frames
// of the runtime's panic machinery and of the deferred functions above it are left out.
func panicStack() []Frame {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(1, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	var all []runtime.Frame
	for {
		f, more := frames.Next()
		all = append(all, f)
		if !more {
			break
		}
	}
	for i, f := range all {
		if f.Function == "runtime.gopanic" {
			all = all[i+1:]
			break
		}
	}
	// A runtime error (nil dereference, index out of range) starts with runtime frames such as
	// runtime.panicmem and runtime.sigpanic that say nothing about the code.
	for len(all) > 1 && strings.HasPrefix(all[0].Function, "runtime.") {
		all = all[1:]
	}
	out := make([]Frame, 0, min(len(all), maxFrames))
	for _, f := range all {
		if len(out) == maxFrames {
			break
		}
		out = append(out, frameOf(f))
	}
	return out
}

// frameOf turns a runtime frame into a stack trace frame whose path starts at the package path.
func frameOf(f runtime.Frame) Frame {
	pkg, fn := splitFunc(f.Function)
	p := f.File
	if pkg != "" {
		p = pkg + "/" + path.Base(f.File)
	}
	return Frame{Path: p, Line: f.Line, Label: strings.NewReplacer("(*", "", ")", "").Replace(fn)}
}

// splitFunc splits a function's full name, github.com/org/repo/pkg.(*T).M, into its package path and its
// name in the package.
func splitFunc(name string) (pkg, fn string) {
	slash := strings.LastIndex(name, "/")
	dot := strings.Index(name[slash+1:], ".")
	if dot < 0 {
		return "", name
	}
	dot += slash + 1
	return name[:dot], name[dot+1:]
}
