import { store, useStore } from "./store";

/** The tenant's people read Chinese; English is a switch. Data labels come from the API
 * ({zh, en} from the tenant's profile); these are the portal's own words. */
export type Lang = "zh" | "en";

const KEY = "complaintdesk.lang";
export const lang = store<Lang>(localStorage.getItem(KEY) === "en" ? "en" : "zh");
document.documentElement.lang = lang.get() === "zh" ? "zh-CN" : "en";

export function setLang(next: Lang): void {
  localStorage.setItem(KEY, next);
  document.documentElement.lang = next === "zh" ? "zh-CN" : "en";
  lang.set(next);
}

const WORDS = {
  app: ["投诉工单", "Complaint desk"],
  skip: ["跳到主要内容", "Skip to main content"],
  worklist: ["工作台", "Worklist"],
  register: ["登记投诉", "Register complaint"],
  escalations: ["升级看板", "Escalations board"],
  signIn: ["登录", "Sign in"],
  signOut: ["退出", "Sign out"],
  language: ["English", "中文"],
  demoUsers: ["演示用户（每个角色一位）", "Demo users (one per role)"],
  signInAs: ["登录为", "Sign in as"],
  pasteToken: ["粘贴令牌", "Paste a token"],
  token: ["令牌（Bearer token）", "Token (bearer)"],
  expired: ["登录已过期，请重新登录。", "Your session expired: please sign in again."],
  noDemo: ["此服务器没有演示租户：请粘贴令牌。", "No demo tenant on this server: paste a token."],
  loading: ["加载中…", "Loading…"],
  retry: ["重试", "Retry"],
  offline: ["无法连接服务器，正在重试", "The server cannot be reached; retrying"],
  offlineIn: ["秒后重试", "s until the next try"],
  failed: ["请求失败", "The request failed"],
  unknownOp: [
    "服务器不认识此持久化操作（客户端与服务器版本不一致）：",
    "The server does not know this persisted operation (client and server versions differ): ",
  ],
  notFound: ["未找到", "Not found"],
  notFoundText: [
    "该工单不存在，或不在您的权限范围内。",
    "This order does not exist or is outside your scope.",
  ],
  back: ["返回工作台", "Back to the worklist"],
  filters: ["筛选", "Filters"],
  state: ["状态", "State"],
  grade: ["等级", "Grade"],
  category: ["类别", "Category"],
  text: ["搜索", "Search"],
  any: ["全部", "Any"],
  dueSoon: ["即将超时", "Due soon"],
  breached: ["已超时", "Breached"],
  apply: ["应用", "Apply"],
  clear: ["清除", "Clear"],
  number: ["工单号", "Number"],
  summary: ["摘要", "Summary"],
  complaint: ["投诉内容", "Complaint"],
  dealer: ["经销商", "Dealer"],
  handler: ["处理人", "Handler"],
  clock: ["时限", "Deadline"],
  registeredAt: ["登记时间", "Registered"],
  next: ["下一页", "Next page"],
  first: ["第一页", "First page"],
  noOrders: ["没有符合条件的工单。", "No orders match."],
  live: ["实时更新", "Live"],
  left: ["剩余", "left"],
  overdue: ["超时", "overdue"],
  customer: ["客户", "Customer"],
  vehicle: ["车辆", "Vehicle"],
  phones: ["电话", "Phones"],
  address: ["地址", "Address"],
  vin: ["VIN 车架号", "VIN"],
  model: ["车型", "Model"],
  plate: ["车牌", "Plate"],
  handlers: ["处理人", "Handlers"],
  primary: ["主处理人", "Primary"],
  secondary: ["协办人", "Secondary"],
  history: ["处理记录", "History"],
  clocks: ["时限", "Clocks"],
  contacts: ["联系记录", "Contact attempts"],
  slips: ["升级预警单", "Warning slips"],
  calls: ["客户来电", "Customer calls"],
  actions: ["可执行操作", "Actions"],
  noActions: ["您对该工单没有可执行的操作。", "You may take no action on this order."],
  comment: ["说明", "Comment"],
  resolution: ["处理结果", "Resolution"],
  measures: ["措施", "Measures"],
  submit: ["提交", "Submit"],
  contact: ["记录联系", "Log a contact"],
  outcome: ["联系结果", "Outcome"],
  reached: ["已联系上", "Reached"],
  unreachable: ["未接通", "Unreachable"],
  refused: ["拒绝沟通", "Refused"],
  note: ["备注", "Note"],
  escalate: ["升级", "Escalate"],
  reason: ["原因", "Reason"],
  call: ["记录客户来电", "Record a customer call"],
  words: ["客户原话", "Customer's words"],
  channel: ["渠道", "Channel"],
  flags: ["标记", "Flags"],
  demands: ["诉求", "Demands"],
  tier: ["层级", "Tier"],
  none: ["无", "None"],
  masked: ["（无权查看）", "(not shown to your role)"],
  lookup: ["查询来电客户", "Look up the caller"],
  phone: ["来电号码", "Caller's phone"],
  name: ["客户姓名", "Customer name"],
  recentOrders: ["该客户近期工单", "The customer's recent orders"],
  vinOk: ["VIN 校验通过", "VIN check passed"],
  vinBad: ["VIN 校验位不符或格式错误", "VIN check digit or format is wrong"],
  proposal: ["建议等级", "Proposed grade"],
  duplicates: ["可能重复的工单", "Possible duplicates"],
  linkRepeat: ["关联为重复投诉", "Link as a repeat of this order"],
  noLink: ["不关联", "Do not link"],
  details: ["详细描述", "Details"],
  registered: ["已登记", "Registered"],
  fixFields: ["请修正标出的字段。", "Please correct the marked fields."],
  open: ["未结工单", "Open"],
  board: ["看板", "Board"],
  escalated: ["已升级工单与预警", "Escalated orders and slips"],
  noEscalations: ["没有升级工单。", "No escalated orders."],
  conflict: ["工单已被他人修改，已刷新。", "Someone else changed the order; it was refreshed."],
  chooseDealer: ["选择经销商", "Choose a dealer"],
} as const satisfies Record<string, readonly [string, string]>;

export type Word = keyof typeof WORDS;

export function useT(): (word: Word) => string {
  const current = useStore(lang);
  return (word) => WORDS[word][current === "zh" ? 0 : 1];
}

export function useLabel(): (
  label: { readonly zh: string; readonly en: string } | null | undefined,
) => string {
  const current = useStore(lang);
  return (label) => (label ? label[current] : "");
}

export function useDateTime(): (iso: string | null | undefined) => string {
  const current = useStore(lang);
  const format = new Intl.DateTimeFormat(current === "zh" ? "zh-CN" : "en-GB", {
    dateStyle: "short",
    timeStyle: "short",
  });
  return (iso) => (iso ? format.format(new Date(iso)) : "—");
}
