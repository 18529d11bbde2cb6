/**
 * Our server's `http_requests_shed_total` (every worker's, summed by the primary): the requests it
 * refused for overload, so that a scenario's 503s can be told apart from other ones (a database
 * connection not had in time). Undefined when the server has no such counter (the references).
 */
export async function shedCount(baseUrl: string, metricsToken: string): Promise<number | undefined> {
  const response = await fetch(`${baseUrl}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
  if (!response.ok) return undefined;
  const match = /^http_requests_shed_total (\d+)$/m.exec(await response.text());
  return match ? Number(match[1]) : undefined;
}
