"""What every hosted inet socket shares, whatever its transport: the socket base
(id, handle, owner, statistics, setopts/getopts) and the option table (inet_drv's
local options and the kernel socket options)."""
