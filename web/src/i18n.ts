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
};

export function t(text: string): string {
  return lang.get() === "zh" ? (ZH[text] ?? text) : text;
}
