package pseudofs

import "golang.org/x/sys/unix"

// pseudoTypes are the statfs magic numbers of filesystems that hold no
// files anyone edits (linux/magic.h). devtmpfs reports tmpfs's number, so
// /dev is refused by name instead.
var pseudoTypes = map[int64]bool{
	0x9fa0:     true, // proc
	0x62656572: true, // sysfs
	0x1cd1:     true, // devpts
	0x27e0eb:   true, // cgroup
	0x63677270: true, // cgroup2
	0x64626720: true, // debugfs
	0x74726163: true, // tracefs
	0x73636673: true, // securityfs
	0x6165676c: true, // pstore
	0xcafe4a11: true, // bpf
	0x62656570: true, // configfs
	0x65735543: true, // fusectl
	0x19800202: true, // mqueue
	0x42494e4d: true, // binfmt_misc
	0x6e736673: true, // nsfs
	0xf97cff8c: true, // selinuxfs
	0xde5e81e4: true, // efivarfs
	0x0187:     true, // autofs: entering it mounts things
}

func pseudoType(dir string) bool {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return false
	}
	return pseudoTypes[int64(st.Type)]
}
