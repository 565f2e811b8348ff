/** Plans a fault in the sandbox (e.g. Slack answering 503), as its /_sandbox/faults API takes it. */
export async function planFault(sandboxUrl: string, planned: object) {
  const res = await fetch(`${sandboxUrl}/_sandbox/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(planned),
  });
  if (res.status !== 201) {
    throw new Error(`sandbox refused the fault: HTTP ${res.status}`);
  }
}
