export { FakeGemini, type FakeGeminiOptions } from './fake-gemini.js';
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
} from '../openai/script.js';
