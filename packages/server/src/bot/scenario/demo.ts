/**
 * The demo bot: a bilingual FAQ with buttons, free-text keyword branches, an
 * order-number question that saves the reply, and handoff to operators.
 * It doubles as a worked example of the format described in docs/BOTS.md.
 */
import type { Scenario, ScenarioAnswer, ScenarioBranch } from '@parley/protocol';

// The same buttons on the greeting and on the menu, so every FAQ reply leads back to them.
const MENU_ANSWERS: ScenarioAnswer[] = [
  { id: 'hours', text: 'Часы работы / Opening hours', next: 'hours' },
  { id: 'prices', text: 'Цены / Prices', next: 'prices' },
  { id: 'delivery', text: 'Доставка / Delivery', next: 'delivery' },
  { id: 'order', text: 'Статус заказа / Order status', next: 'askOrder' },
  { id: 'operator', text: 'Оператор / Operator', next: 'operator' },
];

// Free text understood on the greeting and on the menu.
const MENU_BRANCHES: ScenarioBranch[] = [
  { keywords: ['price', 'prices', 'cost', 'цена', 'цены', 'стоимость', 'сколько'], next: 'prices' },
  { keywords: ['hours', 'open', 'часы', 'работаете'], next: 'hours' },
  { keywords: ['delivery', 'shipping', 'доставка', 'доставку'], next: 'delivery' },
  { keywords: ['order', 'заказ'], next: 'askOrder' },
  { keywords: ['bye', 'thanks', 'спасибо', 'пока'], next: 'bye' },
];

/** A ready-to-use scenario for trying Parley's bot support; it passes `validateScenario`. */
export const demoScenario: Scenario = {
  start: 'greeting',
  // Russian is inflected: "позовите оператора" must hand off too, so the case forms are listed.
  handoffKeywords: ['operator', 'оператор', 'оператора', 'оператору', 'оператором', 'human', 'человек'],
  fallbackText: 'Извините, я не понял. Выберите вариант ниже. / Sorry, I did not understand. Please choose one of the options.',
  nodes: {
    greeting: {
      type: 'question',
      text:
        'Здравствуйте! Я демо-бот Parley. Выберите тему или напишите вопрос.\n' +
        'Hello! I am the Parley demo bot. Choose a topic or type your question.',
      answers: MENU_ANSWERS,
      branches: MENU_BRANCHES,
      next: 'menu',
    },
    menu: {
      type: 'question',
      text: 'Что вас интересует? / What would you like to know?',
      answers: MENU_ANSWERS,
      branches: MENU_BRANCHES,
    },
    hours: {
      type: 'message',
      text: 'Мы работаем ежедневно с 9:00 до 21:00. / We are open daily from 9:00 to 21:00.',
      next: 'menu',
    },
    prices: {
      type: 'message',
      text: 'Базовый тариф — 990 ₽ в месяц, расширенный — 2490 ₽. / The basic plan is $10 a month, the extended one $25.',
      next: 'menu',
    },
    delivery: {
      type: 'message',
      text: 'Доставляем по всей стране за 1–3 дня. / We deliver nationwide within 1–3 days.',
      next: 'menu',
    },
    askOrder: {
      type: 'question',
      text: 'Введите номер заказа, например #12345. / Enter your order number, e.g. #12345.',
      saveAs: 'orderNumber',
      branches: [{ regex: '^#?\\d{4,}$', next: 'orderStatus' }],
      next: 'badOrder',
    },
    orderStatus: {
      type: 'message',
      text:
        'Заказ {{orderNumber}} передан в доставку и прибудет в течение 2 дней.\n' +
        'Order {{orderNumber}} has been shipped and will arrive within 2 days.',
      next: 'menu',
    },
    badOrder: {
      type: 'message',
      text: 'Это не похоже на номер заказа. / That does not look like an order number.',
      next: 'menu',
    },
    operator: { type: 'handoff', text: 'Переключаю на оператора' },
    bye: { type: 'end', text: 'Спасибо за обращение! / Thank you, goodbye!' },
  },
};
