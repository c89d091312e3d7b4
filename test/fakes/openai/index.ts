export { FakeOpenAI, type FakeOpenAiOptions } from './fake-openai.js';
export {
  answer,
  fail,
  garbage,
  GOOD_VERDICT,
  hang,
  refuse,
  slow,
  type Behaviour,
  type RecordedRequest,
} from './script.js';
