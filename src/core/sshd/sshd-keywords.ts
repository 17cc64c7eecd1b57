/**
 * sshd_config keywords as OpenSSH 9.x knows them (sshd_config(5), servconf.c `keywords[]`),
 * lower-cased because sshd compares keywords case-insensitively.
 */
export const SSHD_KEYWORDS: ReadonlySet<string> = new Set([
  "acceptenv", "addressfamily", "allowagentforwarding", "allowgroups", "allowstreamlocalforwarding",
  "allowtcpforwarding", "allowusers", "authenticationmethods", "authorizedkeyscommand",
  "authorizedkeyscommanduser", "authorizedkeysfile", "authorizedprincipalscommand",
  "authorizedprincipalscommanduser", "authorizedprincipalsfile", "banner", "casignaturealgorithms",
  "channeltimeout", "chrootdirectory", "ciphers", "clientalivecountmax", "clientaliveinterval",
  "compression", "denygroups", "denyusers", "disableforwarding", "exposeauthinfo", "fingerprinthash",
  "forcecommand", "gatewayports", "gssapiauthentication", "gssapicleanupcredentials",
  "gssapikexalgorithms", "gssapikeyexchange", "gssapistorecredentialsonrekey", "gssapistrictacceptorcheck",
  "hostbasedacceptedalgorithms", "hostbasedauthentication", "hostbasedusesnamefrompacketonly",
  "hostcertificate", "hostkey", "hostkeyagent", "hostkeyalgorithms", "ignorerhosts", "ignoreuserknownhosts",
  "include", "ipqos", "kbdinteractiveauthentication", "kerberosauthentication", "kerberosgetafstoken",
  "kerberosorlocalpasswd", "kerberosticketcleanup", "kexalgorithms", "listenaddress", "logingracetime",
  "loglevel", "logverbose", "macs", "match", "maxauthtries", "maxsessions", "maxstartups", "modulifile",
  "passwordauthentication", "permitemptypasswords", "permitlisten", "permitopen", "permitrootlogin",
  "permittty", "permittunnel", "permituserenvironment", "permituserrc", "persourcemaxstartups",
  "persourcenetblocksize", "pidfile", "port", "printlastlog", "printmotd", "pubkeyacceptedalgorithms",
  "pubkeyauthentication", "pubkeyauthoptions", "rekeylimit", "requiredrsasize", "revokedkeys",
  "rdomain", "securitykeyprovider", "setenv", "streamlocalbindmask", "streamlocalbindunlink", "strictmodes",
  "subsystem", "syslogfacility", "tcpkeepalive", "trustedusercakeys", "unusedconnectiontimeout", "usedns",
  "usepam", "versionaddendum", "x11displayoffset", "x11forwarding", "x11uselocalhost", "xauthlocation",
  "debianbanner",
]);

/** Old spellings sshd still accepts and maps to the current keyword (servconf.c). */
export const SSHD_ALIASES: Readonly<Record<string, string>> = {
  challengeresponseauthentication: "kbdinteractiveauthentication",
  pubkeyacceptedkeytypes: "pubkeyacceptedalgorithms",
  hostbasedacceptedkeytypes: "hostbasedacceptedalgorithms",
  skeyauthentication: "kbdinteractiveauthentication",
  tislogin: "kbdinteractiveauthentication",
  dsaauthentication: "pubkeyauthentication",
};

/** Keywords sshd accepts with only a "deprecated/unsupported option" log line, changing nothing. */
export const SSHD_DEPRECATED: ReadonlySet<string> = new Set([
  "protocol", "useprivilegeseparation", "rsaauthentication", "rhostsrsaauthentication", "keyregenerationinterval",
  "serverkeybits", "uselogin", "pamauthenticationviakbdint", "useroaming",
  "afstokenpassing", "kerberostgtpassing", "kerberosgetafstoken", "rhostsauthentication", "verifyreversemapping",
  "reversemappingcheck",
]);

/**
 * Keywords whose every occurrence counts instead of the first (sshd_config(5): "Multiple options of
 * this type are permitted"): ports, addresses, host keys, env lists, user/group lists, subsystems.
 */
export const SSHD_ACCUMULATING: ReadonlySet<string> = new Set([
  "port", "listenaddress", "hostkey", "hostcertificate", "acceptenv", "setenv", "allowusers", "denyusers",
  "allowgroups", "denygroups", "subsystem", "channeltimeout",
]);

/** Keywords allowed inside a Match block (sshd_config(5) "Match"); others make sshd refuse the file. */
export const SSHD_MATCH_KEYWORDS: ReadonlySet<string> = new Set([
  "acceptenv", "allowagentforwarding", "allowgroups", "allowstreamlocalforwarding", "allowtcpforwarding",
  "allowusers", "authenticationmethods", "authorizedkeyscommand", "authorizedkeyscommanduser",
  "authorizedkeysfile", "authorizedprincipalscommand", "authorizedprincipalscommanduser",
  "authorizedprincipalsfile", "banner", "casignaturealgorithms", "channeltimeout", "chrootdirectory",
  "clientalivecountmax", "clientaliveinterval", "denygroups", "denyusers", "disableforwarding",
  "exposeauthinfo", "forcecommand", "gatewayports", "gssapiauthentication", "hostbasedacceptedalgorithms",
  "hostbasedauthentication", "hostbasedusesnamefrompacketonly", "ignorerhosts", "include", "ipqos",
  "kbdinteractiveauthentication", "kerberosauthentication", "loglevel", "maxauthtries", "maxsessions",
  "passwordauthentication", "permitemptypasswords", "permitlisten", "permitopen", "permitrootlogin",
  "permittty", "permittunnel", "permituserrc", "pubkeyacceptedalgorithms", "pubkeyauthentication",
  "pubkeyauthoptions", "rekeylimit", "revokedkeys", "rdomain", "setenv", "streamlocalbindmask",
  "streamlocalbindunlink", "trustedusercakeys", "unusedconnectiontimeout", "x11displayoffset",
  "x11forwarding", "x11uselocalhost",
]);

/**
 * Compiled-in defaults of OpenSSH 9.2 (Debian 12), as `sshd -T -f /dev/null` prints them; used when
 * reading a tree offline, where no sshd binary of the tree's version can be asked.
 */
export const SSHD_DEFAULTS: Readonly<Record<string, string>> = {
  port: "22",
  permitrootlogin: "prohibit-password",
  passwordauthentication: "yes",
  kbdinteractiveauthentication: "yes",
  permitemptypasswords: "no",
  maxauthtries: "6",
  authenticationmethods: "any",
  usepam: "no",
  pubkeyauthentication: "yes",
  authorizedkeysfile: ".ssh/authorized_keys .ssh/authorized_keys2",
  ciphers:
    "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com",
  macs: "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1",
  kexalgorithms:
    "sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256",
  hostkeyalgorithms:
    "ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com,sk-ssh-ed25519-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256",
  hostkey: "/etc/ssh/ssh_host_rsa_key /etc/ssh/ssh_host_ecdsa_key /etc/ssh/ssh_host_ed25519_key",
};
