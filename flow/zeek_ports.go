package flow

// likelyServerPort reports whether Zeek, run with its default scripts,
// takes a TCP port for a server's when it guesses the roles of a
// connection whose first packet is not a bare SYN. Zeek's set is
// likely_server_ports, which each protocol script of its base set adds its
// well-known ports to (base/protocols/<name>/main.zeek, "redef
// likely_server_ports += { ports }"); run with -b and fewer scripts, it
// holds fewer, so a Zeek baseline made that way can differ here.
func likelyServerPort(port uint16) bool {
	switch port {
	case 21, 2811, // FTP, GridFTP
		22,      // SSH
		25, 587, // SMTP
		53,                                        // DNS
		79,                                        // Finger
		80, 81, 631, 1080, 3128, 8000, 8080, 8888, // HTTP (1080 is SOCKS's too)
		88,       // Kerberos
		110,      // POP3
		135,      // DCE-RPC endpoint mapper
		139, 445, // SMB
		143,       // IMAP
		389, 3268, // LDAP
		443, 563, 585, 614, 636, 989, 990, 992, 993, 995, 5223, // SSL/TLS
		502,        // Modbus
		1434, 3306, // MySQL
		1883,       // MQTT
		3389,       // RDP
		5222, 5269, // XMPP
		5432,                   // PostgreSQL
		6379,                   // Redis
		6666, 6667, 6668, 6669, // IRC
		20000: // DNP3
		return true
	}
	return false
}
