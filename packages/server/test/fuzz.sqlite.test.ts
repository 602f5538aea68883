import { fuzzEveryRoute } from './helpers/fuzz.js';

fuzzEveryRoute('sqlite');
