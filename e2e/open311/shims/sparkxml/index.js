module.exports = { parseXml: require('../spark.js').parseXml };
