package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/notify"
)

// tell previews the report in a dry run, and otherwise delivers it to every channel; it records what it
// did in res and returns what failed. There is something to tell in digest mode, and when the run
// alerts a key, could not read a user or has a warning (a role that may not list the user recycle bin
// or look up deleters, a SCHEDULE that does not match the trigger): no warning stays in the log alone.
// Only a quiet run, with none of them, tells every channel nothing.
func (h *Handler) tell(ctx context.Context, res *Result, report *alert.Report) (failures []string) {
	post := report.Mode == alert.ModeDigest || len(report.Alerts) > 0 || len(report.Errors) > 0 || len(report.Warnings) > 0
	if report.DryRun {
		res.Preview, failures = h.preview(report, post)
		return failures
	}
	var renderErr error
	res.Deliveries, renderErr = h.deliver(ctx, report, post)
	var failed []string
	for _, d := range res.Deliveries {
		if !d.OK {
			failed = append(failed, d.Channel+": "+d.Error)
		}
	}
	switch {
	case renderErr != nil:
		return []string{"nothing sent: " + renderErr.Error()}
	case len(failed) > 0:
		return []string{"delivery failed: " + strings.Join(failed, "; ")}
	}
	return nil
}

// preview renders the report for every channel (the preview channels when none is configured) without
// sending it, as deliver renders it: a panic in a channel's Render is that channel's failure.
func (h *Handler) preview(report *alert.Report, post bool) (previews []Preview, failures []string) {
	channels := h.Channels
	if len(channels) == 0 {
		channels = h.PreviewChannels
	}
	for _, ch := range channels {
		p := Preview{Channel: ch.Name(), Messages: []json.RawMessage{}}
		if post {
			posts, err := render(ch, report)
			if err != nil {
				failures = append(failures, fmt.Sprintf("%s: rendering failed: %v", ch.Name(), err))
			}
			for _, post := range posts {
				p.Messages = append(p.Messages, post.Body)
			}
		}
		previews = append(previews, p)
	}
	return previews, failures
}

// deliver renders the report for every channel first, then posts it to all of them at once and waits
// for them. When a channel cannot render the report, no channel is sent anything, so that no channel is
// posted while another is not: every delivery then fails with the error, which is returned.
func (h *Handler) deliver(ctx context.Context, report *alert.Report, post bool) ([]Delivery, error) {
	out := make([]Delivery, len(h.Channels))
	for i, ch := range h.Channels {
		out[i] = Delivery{Channel: ch.Name(), OK: true}
	}
	if !post {
		return out, nil
	}
	rendered := make([][]notify.Post, len(h.Channels))
	var problems []string
	for i, ch := range h.Channels {
		posts, err := render(ch, report)
		if err != nil {
			problems = append(problems, ch.Name()+": "+err.Error())
		}
		rendered[i] = posts
	}
	if len(problems) > 0 {
		err := errors.New("rendering failed for " + strings.Join(problems, "; "))
		h.Logger.ErrorContext(ctx, "nothing sent", "error", err.Error())
		for i := range out {
			out[i].OK, out[i].Error = false, "not sent: "+err.Error()
		}
		return out, err
	}
	var wg sync.WaitGroup
	for i, ch := range h.Channels {
		posts := rendered[i]
		wg.Add(1)
		h.spawn(ctx, func() {
			defer wg.Done()
			d := &out[i]
			d.OK = false
			d.Error = "panicked"
			sent, err := notify.Deliver(ctx, ch, posts)
			d.Messages = sent
			if err != nil {
				d.Error = err.Error()
				h.Logger.ErrorContext(ctx, "delivery failed", "channel", ch.Name(), "sent", sent, "of", len(posts), "error", d.Error)
				return
			}
			d.OK, d.Error = true, ""
			h.Logger.InfoContext(ctx, "delivered", "channel", ch.Name(), "messages", sent)
		})
	}
	wg.Wait()
	return out, nil
}

// render renders the report for ch; a panic in it is an error.
func render(ch notify.Channel, report *alert.Report) (posts []notify.Post, err error) {
	defer func() {
		if v := recover(); v != nil {
			posts, err = nil, fmt.Errorf("panicked: %v", v)
		}
	}()
	return ch.Render(report)
}

func (h *Handler) spawn(ctx context.Context, fn func()) {
	if h.Go != nil {
		h.Go(ctx, fn)
		return
	}
	go fn()
}
