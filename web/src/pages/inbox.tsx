// The supplier's RFQ inbox: invitations and the pool, with SLA countdowns; a new RFQ appears
// live. Opening one shows the quote form (and the revision form once quoted).
import { useEffect } from "preact/hooks";
import { subscribe } from "../api";
import type { Rfq } from "../generated/schema";
import { t } from "../i18n";
import { me, route } from "../nav";
import { useSignal } from "../state";
import { Badge, Countdown, date, ListPage, money, useQuery } from "../ui";
import { RFQ_FIELDS } from "./rfq";

export function InboxPage() {
  const user = useSignal(me);
  const { data, error, loading, reload } = useQuery<{ rfqInbox: { nodes: Rfq[] } }>(`{ rfqInbox(first: 100) { nodes { ${RFQ_FIELDS} } } }`);
  useEffect(() => subscribe("subscription { rfqInbox { id } }", {}, () => reload()), []);
  return (
    <ListPage title={t("RFQ inbox")} error={error} loading={loading} items={data?.rfqInbox.nodes}>
      <table class="list">
        <thead>
          <tr>
            <th>{t("Title")}</th>
            <th>{t("Quantity")}</th>
            <th>{t("Target price")}</th>
            <th>{t("Respond within")}</th>
            <th>{t("Deadline")}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {data?.rfqInbox.nodes.map((r) => {
            const invited = user?.supplierId ? r.invitedSupplierIds.includes(user.supplierId) : false;
            const quoted = r.quotes.some((q) => q.supplierId === user?.supplierId);
            return (
              <tr key={r.id}>
                <td>
                  <a href={`#${route("rfq", r.id)}`}>{r.title}</a>
                </td>
                <td>{r.quantity.toLocaleString()}</td>
                <td>{money(r.targetPrice)}</td>
                <td>{invited && !quoted ? <Countdown deadline={r.respondBy} /> : "—"}</td>
                <td>{date(r.deadline)}</td>
                <td>
                  {invited ? <Badge tone="info">{t("Invited")}</Badge> : <Badge>{t("Pool")}</Badge>} {quoted ? <Badge tone="ok">{t("Quote")} ✓</Badge> : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </ListPage>
  );
}
