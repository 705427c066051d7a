import type { SimCampaign } from './types';

export function skippedTotal(campaign: SimCampaign): number {
  return Object.values(campaign.skipped).reduce((a, b) => a + b, 0);
}

const CAMPAIGNS_PATH = '/api/v2/outbound/campaigns';

const ref = (path: string, r: { id: string; name: string }) => ({
  id: r.id,
  name: r.name,
  selfUri: `${path}/${r.id}`,
});

/** The campaign as `GET /api/v2/outbound/campaigns/{id}` answers it. */
export function campaignView(c: SimCampaign) {
  return {
    id: c.id,
    name: c.name,
    dateCreated: new Date(c.dateCreated).toISOString(),
    dateModified: new Date(c.dateModified).toISOString(),
    version: c.version,
    contactList: ref('/api/v2/outbound/contactlists', c.contactList),
    queue: ref('/api/v2/routing/queues', c.queue),
    dialingMode: c.dialingMode,
    campaignStatus: c.campaignStatus,
    phoneColumns: [{ columnName: 'Cell', type: 'cell' }],
    abandonRate: c.abandonTarget ?? 5,
    dncLists: [],
    callAnalysisResponseSet: {
      id: '00000000-0000-4000-8000-000000000001',
      name: 'Default',
      selfUri: '/api/v2/outbound/callanalysisresponsesets/00000000-0000-4000-8000-000000000001',
    },
    callerName: 'Wrapup Demo',
    callerAddress: '+13175550100',
    outboundLineCount: 10,
    ruleSets: [],
    skipPreviewDisabled: false,
    previewTimeOutSeconds: 0,
    alwaysRunning: c.alwaysRunning,
    noAnswerTimeout: 30,
    callAnalysisLanguage: 'en-US',
    priority: 5,
    contactListFilters: [],
    division: ref('/api/v2/authorization/divisions', c.division),
    selfUri: `${CAMPAIGNS_PATH}/${c.id}`,
  };
}

/** A campaign as the Genesys API shows it. */
export type CampaignView = ReturnType<typeof campaignView>;

/**
 * `GET /api/v2/outbound/campaigns/{id}/progress`. `numberOfContactsCalled` counts contacts, not
 * dials: a recalled contact counts once (the SDK's CampaignProgress; it is optional there, so
 * `omitCalled` leaves it out as the platform may).
 */
export function progressView(c: SimCampaign, opts: { omitCalled?: boolean } = {}) {
  const done = c.called + skippedTotal(c);
  return {
    campaign: ref(CAMPAIGNS_PATH, c),
    contactList: ref('/api/v2/outbound/contactlists', c.contactList),
    ...(opts.omitCalled ? {} : { numberOfContactsCalled: c.called }),
    numberOfContactsMessaged: 0,
    totalNumberOfContacts: c.contactCount,
    percentage: c.contactCount === 0 ? 0 : Math.round((done / c.contactCount) * 100),
    numberOfContactsSkipped: { ...c.skipped },
  };
}
