// Package loopback tells whether a host is this machine's own: the only host that the API endpoints and
// the channels' URLs may reach over plain http (the project's emulators and local receivers).
package loopback

import (
	"net/netip"
	"strings"
)

// Host reports whether host (no port, no brackets) is localhost or a loopback IP address, IPv4-mapped
// IPv6 ones included.
func Host(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}
