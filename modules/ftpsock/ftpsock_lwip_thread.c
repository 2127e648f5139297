/*
 * lwipRun(): the XS thread's way into lwIP's context (ftpsock_lwip.c, "Two contexts").
 */
#include "ftpsock_lwip.h"

#if NO_SYS
// lwIP callbacks and XS share one thread: a plain call is already in lwIP context.
void lwipRun(LwipFunction function, void *context)
{
	(*function)(context);
}
#else
typedef struct {
	struct tcpip_api_call_data call;		// first: tcpip_api_call() hands back its address
	LwipFunction function;
	void *context;
} LwipCallRecord;

static err_t lwipCall(struct tcpip_api_call_data *call)
{
	LwipCallRecord *record = (LwipCallRecord *)call;

	(*record->function)(record->context);
	return ERR_OK;
}

// Runs `function` in the tcpip thread (or under the core lock) and waits for it.
void lwipRun(LwipFunction function, void *context)
{
	LwipCallRecord record;

	c_memset(&record, 0, sizeof(record));		// tcpip_api_call_data's members depend on lwipopts
	record.function = function;
	record.context = context;
	tcpip_api_call(lwipCall, &record.call);
}
#endif
