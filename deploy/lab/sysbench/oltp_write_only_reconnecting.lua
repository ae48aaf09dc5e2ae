-- sysbench's own oltp_write_only transaction, for the Switchback demo through HAProxy, with one
-- change: a transaction that lost its connection reconnects on a new connection handle.
--
-- Why: with --mysql-ignore-errors=all, sysbench 1.0.20 reconnects inside its MySQL driver by
-- calling mysql_real_connect() again on the handle mysql_close() has just closed. Built against
-- libmariadb (Debian's sysbench package is), that crashes the process with a segmentation fault
-- in mysql_optionsv() on the first killed connection: akopytov/sysbench issue 527, fix proposed
-- in pull request 528, not released. A proxy that ends sessions (HAProxy's "shutdown sessions")
-- kills connections on purpose, so the stock script cannot run through a switch here.
--
-- What this script changes, through sysbench's documented hooks only:
--   sql_error_ignorable: every SQL error restarts the transaction (what --mysql-ignore-errors=all
--     does), without the driver's in-place reconnect;
--   before_restart_event: after any other error the open transaction is rolled back (the stock
--     script restarts with BEGIN, which commits what the failed transaction had done so far: a
--     delete without its insert); after a connection-level error (2006, 2011, 2013, 2055, 1927) the
--     statements are closed, the old connection closed, and a new one opened with the driver's
--     connect(), retried every 20 ms while the proxy refuses (the driver logs each refusal), for
--     at most 120 s; then the statements are prepared again and the transaction restarts.
-- The transaction itself (BEGIN; index update; non-index update; delete and insert; COMMIT), the
-- tables and every option are sysbench's. sysbench counts each error in "ignored errors"; the
-- reconnects this script makes are printed per thread at the end ("reconnecting: thread N
-- reconnected R times, S connection attempts refused"), as sysbench's own "reconnects" counts only
-- the driver's in-place ones.

require("oltp_write_only")

local ffi = require("ffi")
ffi.cdef [[ int usleep(unsigned int usec); ]]

-- CR_SERVER_GONE_ERROR, CR_TCP_CONNECTION, CR_SERVER_LOST, CR_SERVER_LOST_EXTENDED, and
-- MariaDB's ER_CONNECTION_KILLED
local LOST = { [2006] = true, [2011] = true, [2013] = true, [2055] = true, [1927] = true }

local reconnects = 0
local refused = 0

function sysbench.hooks.sql_error_ignorable(errdesc)
   return true
end

function sysbench.hooks.before_restart_event(errdesc)
   if not LOST[errdesc.sql_errno] then
      pcall(function() con:query("ROLLBACK") end)
      return
   end
   close_statements()
   pcall(function() con:disconnect() end)
   local deadline = os.time() + 120
   while true do
      local ok, fresh = pcall(function() return drv:connect() end)
      if ok then
         con = fresh
         break
      end
      refused = refused + 1
      if os.time() > deadline then
         error("reconnecting: no connection for 120 s, giving up")
      end
      ffi.C.usleep(20000)
   end
   reconnects = reconnects + 1
   prepare_statements()
end

local stock_thread_done = thread_done

function thread_done(thread_id)
   print(string.format("reconnecting: thread %d reconnected %d times, %d connection attempts refused",
                       thread_id, reconnects, refused))
   stock_thread_done(thread_id)
end
