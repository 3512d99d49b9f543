// Chinese and English UI text. Strings are written in English in the code; `t` answers the
// Chinese when the UI is in Chinese. The choice is kept per browser.
import { signal } from "./state";

export type Lang = "zh" | "en";

export const lang = signal<Lang>(
  (localStorage.getItem("zhuchao.lang") as Lang | null) ?? (navigator.language.startsWith("zh") ? "zh" : "en"),
);

export function setLang(l: Lang) {
  localStorage.setItem("zhuchao.lang", l);
  document.documentElement.lang = l === "zh" ? "zh-CN" : "en";
  lang.set(l);
}

const ZH: Record<string, string> = {
  "Search": "搜索", "Search parts": "搜索零件", "Sign in": "登录", "Sign out": "退出", "Email": "邮箱", "Password": "密码",
  "Cart": "购物车", "My orders": "我的订单", "Orders": "订单", "RFQs": "询价", "New RFQ": "发起询价", "Catalogue": "商品目录",
  "RFQ inbox": "询价收件箱", "Onboarding": "入驻", "Review queue": "审核队列", "Disputes": "纠纷", "Analytics": "数据分析",
  "Categories": "类目", "All categories": "全部类目", "In stock": "有货", "Verified supplier": "认证供应商",
  "Guaranteed supplier": "保证金供应商", "Minimum supplier level": "最低供应商等级", "Any": "不限", "Sort": "排序",
  "Relevance": "相关度", "Unit price": "单价", "Supplier rating": "供应商评分", "Lead time": "交期", "Quantity": "数量",
  "results": "个结果", "From": "从", "To": "到", "Next": "下一页", "Previous": "上一页", "MOQ": "起订量", "Stock": "库存", "reserved": "已预留",
  "days": "天", "Add to cart": "加入购物车", "Added to cart": "已加入购物车", "Attributes": "参数", "Price tiers": "阶梯价格",
  "Supplier": "供应商", "Level": "等级", "Rating": "评分", "Credit record": "信用记录", "Place orders and pay": "下单并支付",
  "Delivery address": "收货地址", "Your cart is empty.": "购物车是空的。", "Status": "状态", "History": "历史记录",
  "Pay into escrow": "支付到托管", "Confirm receipt": "确认收货", "Request a return": "申请退货", "Open a dispute": "发起纠纷",
  "Ship": "发货", "Carrier": "承运商", "Tracking number": "运单号", "Mark delivered": "标记已送达", "Reason": "原因",
  "Statement": "陈述", "Evidence": "证据", "Files": "文件", "Claimed": "索赔金额", "Submit": "提交", "Cancel": "取消",
  "Title": "标题", "Description": "描述", "Category": "类目", "Deadline": "截止日期", "Target price": "目标价",
  "Invite suppliers": "邀请供应商", "Drawings": "图纸", "Send RFQ": "发送询价", "Quotes": "报价", "Accept": "接受",
  "Counter-offer": "还价", "Quote": "报价", "Revise": "修改报价", "Valid until": "有效期至", "Note": "备注",
  "Respond within": "响应剩余", "Pool": "公开池", "Invited": "受邀", "Company name": "公司名称",
  "Unified social credit code": "统一社会信用代码", "Contact name": "联系人", "Phone": "电话", "Apply": "申请入驻",
  "Documents": "资质文件", "Upload": "上传", "Deposit": "保证金", "Pay deposit": "缴纳保证金", "Approve": "通过",
  "Reject": "驳回", "Publish": "上架", "Unpublish": "下架", "Save": "保存", "New product": "新建商品", "Import CSV": "导入 CSV",
  "Brand": "品牌", "Part number": "型号", "Keyword": "关键词", "Name": "名称", "Pack size": "包装数量", "Shipping cost": "运费",
  "Ruling": "裁决", "Refund to buyer": "退款给买家", "Release to supplier": "放款给供应商", "Penalty": "罚金",
  "Warn the supplier": "警告供应商", "Take the case": "受理", "Add evidence": "补充证据", "Warn": "警告", "Suspend": "暂停",
  "Exit": "清退", "Traffic by source": "各来源流量", "Funnel": "转化漏斗", "Basket value": "客单价", "GMV decomposition": "GMV 分解",
  "Sessions": "访问", "Visitors": "访客", "Conversion": "转化率", "Average order value": "平均订单金额", "Top searches": "热门搜索",
  "Searches with no result": "无结果搜索", "Granularity": "粒度", "Cut by": "维度", "Hour": "小时", "Day": "天", "Week": "周",
  "Region": "地区", "Source": "来源", "Campaign": "活动", "Device": "设备", "None": "无", "Loading…": "加载中…",
  "Nothing here yet.": "暂无内容。", "Register as buyer": "注册买家",
  "Signing in with these details failed. If this email already has an account, sign in with its password.": "无法用这些信息登录。如果该邮箱已有账户，请用该账户的密码登录。", "Apply as supplier": "供应商入驻",
  "Rows": "行", "imported": "已导入", "failed": "失败", "Compare quotes": "比较报价", "Order": "订单", "Dispute": "纠纷",
  "Rate the order": "评价订单", "Quality": "质量", "Delivery": "交付", "Service": "服务", "Language": "语言",
  "Profile": "主页", "Badges": "徽章", "Completed orders": "完成订单", "Warnings": "警告次数", "Review status": "审核状态",
  "Paid orders": "已付订单", "Items per order": "每单件数", "RFQ response": "询价响应", "Answered within SLA": "SLA 内响应",
  "Dispute rates": "纠纷率", "Reload": "刷新", "Back": "返回", "Escrow": "托管", "Answer return": "处理退货",
  "sessions": "访问", "searched": "搜索", "viewed a product": "浏览商品", "cart or RFQ": "加购或询价", "ordered": "下单",
  "paid": "支付", "product views": "商品浏览", "added to cart": "加入购物车", "Product views": "商品浏览",
  "Total": "合计",
  // Statuses (the API's enums, humanised)
  "Placed": "已下单", "Paid": "已支付", "Shipped": "已发货", "Delivered": "已送达", "Received": "已收货", "Completed": "已完成",
  "Cancelled": "已取消", "Return requested": "退货申请中", "Return approved": "退货已同意", "Returned": "已退回",
  "Return received": "退货已签收", "Refunded": "已退款", "Disputed": "纠纷中", "Resolved": "已解决", "Abandoned": "已放弃",
  "Open": "进行中", "Under review": "审核中", "Ruled": "已裁决", "Withdrawn": "已撤回", "Pending": "待审核", "Approved": "已通过",
  "Rejected": "已驳回", "Expired": "已过期", "Draft": "草稿", "Published": "已上架", "Unpublished": "已下架", "Delisted": "已强制下架",
  "Live": "有效", "Accepted": "已接受", "Not selected": "未中标", "Quoted": "已报价", "Awarded": "已授标", "Applied": "已申请",
  "Active": "正常", "Lapsed": "已失效", "Suspended": "已暂停", "Exited": "已清退",
  // Search, compare, cart and confirmations
  "Compare": "对比", "Compare side by side": "并排对比", "Clear": "清空", "Verified": "已认证",
  "Verified supplier: business documents checked by Zhuchao": "认证供应商：营业资质已由筑巢审核",
  "Guaranteed supplier: a deposit is held against disputes": "保证金供应商：已缴纳保证金，用于纠纷赔付",
  "Supplier level": "供应商等级", "Compare parts": "零件对比", "Remove": "移除", "View": "查看",
  "Pick up to 4 parts in the search results to compare them here.": "在搜索结果中勾选最多 4 个零件，在此对比。",
  "Differences only": "只看不同项", "Price at MOQ": "起订量单价",
  "Subtotal": "小计", "Shipping": "运费", "Grand total": "总计", "Check out": "去结算",
  "Confirm and pay": "确认并支付", "Review your orders": "确认订单",
  "The money is held in escrow by Zhuchao and released to each supplier only when you confirm receipt, or automatically some days after delivery if you open no dispute.":
    "货款由筑巢托管，您确认收货后才会付给供应商；如未发起纠纷，送达若干天后自动放款。",
  "Paid into escrow": "已支付到托管", "Orders placed and paid": "订单已下单并支付",
  "Below the minimum order quantity": "低于起订量", "Not a whole number of packs": "不是整包数量",
  "More than in stock": "超过库存", "No longer available": "已不可购买", "per pack": "每包",
  "Fix the lines marked above before checking out.": "请先修正上面标出的商品行再结算。",
  "pieces": "件", "Release the money to the supplier?": "确认放款给供应商？",
  "Confirming receipt releases the money held in escrow to the supplier and cannot be undone. Inspect the goods first: a return or a dispute is possible only before you confirm.":
    "确认收货后，托管的货款将付给供应商，且无法撤销。请先验货：退货或纠纷只能在确认收货前发起。",
  "Release": "放款", "Accept this quote?": "接受此报价？",
  "Accepting makes an order at this price, to be paid into escrow; the other quotes are declined.":
    "接受后将按此价格生成订单并支付到托管；其他报价将被拒绝。",
  "Accept and order": "接受并下单", "Order total": "订单总额", "Placed on": "下单时间", "Items": "商品", "Yes": "是", "No": "否", "Lead time days": "交期天数", "Pool open": "公开池开放",
  "Counter offer": "还价", "Revision": "修订次数",
  "Some parts you picked are no longer on sale and are left out.": "您选择的部分零件已不在售，未列出。", "Enter a whole number of pieces": "请输入整数件数", "A price changed since you looked: the cart shows the new totals; check them and confirm again.": "价格在您确认后发生了变化：购物车已显示新的金额，请核对后再次确认。", "Needed to reject": "驳回时必填", "What was ordered": "订单内容", "The RFQ's specification": "询价规格", "Direct": "直接访问", "Organic": "自然搜索", "Referral": "外部引荐", "Mobile": "手机", "Desktop": "电脑", "Tablet": "平板", "Product views per period, by the cut chosen above.": "各时段商品浏览量，按上方所选维度。",
  "Sessions per period, by the cut chosen above.": "各时段访问量，按上方所选维度。", "Average paid order value per period.": "各时段已付订单平均金额。",
  "Pieces per order": "每单件数", "Pieces ordered (all lines) divided by paid orders": "订购件数（所有行）除以已付订单数",
  "Week of": "周起始", "Median time to first quote": "首次报价用时中位数", "Disputes / orders": "纠纷 / 订单",
  "Rate": "比率", "Buyer won": "买家胜", "Supplier won": "供应商胜", "Split": "分摊",
  "For the buyer": "裁定支持买家", "For the supplier": "裁定支持供应商", "Remaining": "剩余", "Funded": "已入账", "Released": "已放款", "Delivered at": "送达时间",
  "Received at": "收货时间", "Address": "地址", "result": "个结果", "day": "天", "quote": "个报价", "quotes": "个报价",
  "Thank you: your rating is recorded.": "谢谢，您的评价已记录。", "Rated": "已评价",
  "Progress": "进度", "Notifications": "通知", "e.g.": "例如", "From quantity": "起始数量", "Download a template for this category": "下载此类目的模板",
  "Each row: from this quantity on, this unit price. The first row's quantity is usually the MOQ.": "每行：从该数量起按此单价。第一行的数量通常等于起订量。", "Application": "申请", "Document": "文件类型", "Required deposit": "应缴保证金", "Still due": "待缴",
  "Amount": "金额",
  "Business licence, unified (三证合一)": "营业执照（三证合一）", "Business licence (old style)": "营业执照（旧版）",
  "Tax registration certificate": "税务登记证", "Organisation code certificate": "组织机构代码证", "Trademark registration": "商标注册证",
  "Brand authorisation": "品牌授权书",
  "Required: the unified business licence, or the old-style business licence with a tax registration certificate. Trademark and brand documents are optional; they show buyers what you may sell.":
    "必需：三证合一营业执照，或旧版营业执照加税务登记证。商标和品牌授权文件可选，用于向买家说明您可销售的品牌。",
  "The deposit is held against disputes your buyers win; with it paid in full and your documents verified, your parts show the guaranteed badge.":
    "保证金用于赔付买家胜诉的纠纷；缴足保证金并通过资质审核后，您的商品将显示保证金标识。", "Waiting for a ruling": "待裁决", "Decided": "已结案", "Opened": "发起时间", "Opened by": "发起方",
  "Answer by": "答复截止", "Refund": "退款", "Rule": "裁决", "Rule this dispute?": "确认裁决？",
  "A ruling moves the money at once and cannot be undone.": "裁决会立即划转资金，且无法撤销。",
  "From the supplier's deposit; blank or 0 for none": "从供应商保证金扣除；留空或 0 表示不罚",
  "Ruled by default: the other side did not answer in time.": "缺席裁决：对方未在期限内答复。",
  "Buyer": "买家", "Not shipped": "未发货", "Not as described": "与描述不符", "Damaged": "货物损坏",
  "Wrong quantity": "数量不符", "Not paid": "未付款", "Other": "其他", "Agent": "客服", "Admin": "管理员", "Platform": "平台", "Filters": "筛选", "Released to the supplier": "已放款给供应商", "Refunded to the buyer": "已退款给买家", "Still held": "托管中",
  // Timeline entries (the API's kinds, humanised)
  "Order placed": "已下单", "Order paid": "已支付", "Order shipped": "已发货", "Order delivered": "已送达", "Order received": "已确认收货",
  "Order completed": "订单完成", "Order cancelled": "订单取消", "Order refunded": "已退款", "Order disputed": "发起纠纷",
  "Order rated": "已评价", "Order abandoned": "订单放弃", "Return shipped": "退货已寄出", "Return rejected": "退货被拒绝",
  "Payment captured": "已收款", "Escrow opened": "托管开启", "Escrow funded": "托管已入账", "Escrow released": "托管已放款",
  "Escrow refunded": "托管已退款", "Escrow held": "托管冻结", "Escrow unheld": "托管解冻", "Dispute opened": "发起纠纷",
  "Evidence submitted": "提交证据", "Dispute assigned": "纠纷已受理", "Dispute ruled": "纠纷已裁决", "Dispute withdrawn": "纠纷已撤回",
  "RFQ created": "发起询价", "RFQ opened to pool": "询价进入公开池", "Quote submitted": "提交报价", "Quote revised": "修改报价",
  "Counter offered": "还价", "Quote expired": "报价过期", "Quote accepted": "接受报价", "Quote not selected": "报价未中标",
  "RFQ cancelled": "询价取消", "RFQ expired": "询价过期", "against target": "相对目标价", "Choose a category to see its suppliers.": "先选择类目，再选择该类目的供应商。", "Need a variant? Request a quote": "需要其他规格？发起询价",
};

/** The UI's language as a locale for dates and numbers. */
export function locale(): string {
  return lang.get() === "zh" ? "zh-CN" : "en-GB";
}

/** `1 result`, `2 results`, `2 个结果`: a count with the word for it. */
export function count(n: number, one: string, other: string): string {
  return `${n.toLocaleString(locale())} ${t(n === 1 ? one : other)}`;
}

export function t(text: string): string {
  return lang.get() === "zh" ? (ZH[text] ?? text) : text;
}
