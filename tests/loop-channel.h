/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A channel that hands each message to a stub buffer of this process: a generated
 * proxy (IRpcProxyBuffer_Connect'ed to it) and a generated stub back to back, for tests
 * of what the stubs do with the data, with no RPC between.  Its references start at 1
 * and are counted, nothing more: a test checks it is back at 1 when done.
 */
#ifndef TESTS_LOOP_CHANNEL_H
#define TESTS_LOOP_CHANNEL_H

#include <stdatomic.h>

#include <objbase.h>
#include <rpcproxy.h>

struct loop_chan {
        IRpcChannelBuffer IRpcChannelBuffer_iface;
        atomic_int refs;
        IRpcStubBuffer *stub;           /* where each message goes (set before the first) */
};

void loop_chan_init(struct loop_chan *c, IRpcStubBuffer *stub);

#endif
