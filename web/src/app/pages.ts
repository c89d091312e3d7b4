import type { ComponentType } from 'react';
import { ApiKeysPage } from '../pages/ApiKeysPage';
import { CopyTradingPage } from '../pages/CopyTradingPage';
import { CredentialsPage } from '../pages/CredentialsPage';
import { MarketPage } from '../pages/MarketPage';
import { PortfolioPage } from '../pages/PortfolioPage';
import { SignalsPage } from '../pages/SignalsPage';

export interface PageDef {
  /** Path pattern: `/market/:symbol?`. Must not start with a server prefix (/api, /ws, /docs…). */
  path: string;
  title: string;
  /** Where the top bar's link goes; pages without one are reached by links only. */
  nav?: string;
  component: ComponentType<{ params: Record<string, string> }>;
}

/**
 * Every page of the app. A new page (signals, assessments…) is a component in
 * pages/ and one line here; the server already answers any path outside its own prefixes
 * with the app.
 */
export const PAGES: PageDef[] = [
  { path: '/market/:symbol?', nav: '/market', title: 'Market', component: MarketPage },
  { path: '/portfolio', nav: '/portfolio', title: 'Portfolio', component: PortfolioPage },
  { path: '/copy/:tab?/:id?', nav: '/copy', title: 'Copy trading', component: CopyTradingPage },
  { path: '/signals/:tab?/:id?', nav: '/signals', title: 'Signals', component: SignalsPage },
  { path: '/keys', nav: '/keys', title: 'API keys', component: ApiKeysPage },
  { path: '/credentials', nav: '/credentials', title: 'Exchange keys', component: CredentialsPage },
];

/** Where `/` goes. */
export const HOME = '/market';
